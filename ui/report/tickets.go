package report

import (
	"bytes"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"certdeck/model"
)

// ticketTable writes the ticket keys section, worst first: status, entry
// name, format, the encrypting key's name (its first 8 hex digits: key
// names are random, 32 bits tell them apart) and age, the pool's sync
// ("2/3"), and the main reason. Nothing when no ticket_keys is
// configured; a blank line after earlier sections.
func ticketTable(w io.Writer, state *model.State, now time.Time, opt TableOptions, after bool) error {
	entries := state.TicketKeysWorstFirst(now)
	if len(entries) == 0 {
		return nil
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tTICKET KEYS\tFORMAT\tENCRYPTS\tAGE\tPOOL\tREASON")
	for _, ts := range entries {
		encrypts, age := "-", "-"
		if cur, ok := ts.Current(); ok {
			encrypts = model.ShortKeyName(cur.Name)
			if !cur.Since.IsZero() {
				age = model.FormatAge(now.Sub(cur.Since)) // as tickets show says it
			}
		}
		reason := ""
		if len(ts.Verdict.Reasons) > 0 {
			reason = ts.Verdict.Reasons[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ts.Verdict.Status, cell(ts.TicketKeys.Name), ts.TicketKeys.Format,
			encrypts, age, orDash(ts.SyncLabel()), cell(reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if after {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	return writeTrimmed(w, buf.String(), opt.Width)
}
