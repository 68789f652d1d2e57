package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"certdeck/model"
)

// maxReason keeps one row on one line in a terminal; JSON has the full text.
const maxReason = 100

// Table writes one line per endpoint, worst first: status word, name,
// address, days left, not-after date, serial (first 8 hex digits), issuer,
// TLS version, and the error or the main reason for a non-OK status; then,
// after a blank line, one line per bundle (see bundleTable).
// state must be classified at now (State.Apply or State.Reclassify).
func Table(w io.Writer, state *model.State, now time.Time) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tNAME\tADDRESS\tDAYS\tNOT AFTER\tSERIAL\tISSUER\tTLS\tERROR/REASON")
	for _, es := range state.WorstFirst(now) {
		days, notAfter, serial, issuer, version := "-", "-", "-", "-", "-"
		if o := es.Last; o != nil {
			if leaf := o.Leaf(); leaf != nil {
				days = strconv.Itoa(model.DaysLeft(leaf.NotAfter, now))
				notAfter = leaf.NotAfter.UTC().Format(time.DateOnly)
				serial = model.ShortSerial(leaf.Serial)
				issuer = orDash(leaf.IssuerCN)
			}
			if o.TLSVersion != "" {
				version = strings.TrimPrefix(o.TLSVersion, "TLS ")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			es.Verdict.Status, cell(es.Endpoint.Name), cell(es.Endpoint.Target.String()),
			days, notAfter, serial, cell(issuer), version, cell(reason(es)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeTrimmed(w, buf.String()); err != nil {
		return err
	}
	return bundleTable(w, state, now)
}

// writeTrimmed copies tabwriter output line by line without trailing
// blanks: tabwriter pads the empty last cell of OK rows, which is noise in
// diffs and golden files.
func writeTrimmed(w io.Writer, text string) error {
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// reason is the text of the last column: the probe error with its kind,
// or the worst finding for a WARN/CRIT row, or nothing for OK.
func reason(es *model.EndpointState) string {
	if o := es.Last; o != nil && o.Failed() {
		return string(o.ErrKind) + ": " + o.Error
	}
	if es.Verdict.Status == model.OK || len(es.Verdict.Reasons) == 0 {
		return ""
	}
	return es.Verdict.Reasons[0]
}

// cell makes a value safe for one tab-separated cell: server-supplied
// text (issuer names, error messages) may hold tabs, newlines or escape
// sequences that would break the table or the terminal.
func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > maxReason {
		s = string(r[:maxReason-1]) + "…"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
