package rotate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"certdeck/model"
)

// Describe is the one-line outcome of a publish or rollback for the CLI,
// the console's flash and the event log. It names versions, full serials
// and expiry, never file contents. It is not sanitised: the CLI and the
// console pass it through model.Sanitize at the terminal (an also-write
// path is the operator's argument, and could carry anything).
func (r *Result) Describe() string {
	var b strings.Builder
	if r.Unchanged {
		fmt.Fprintf(&b, "%s: already current %s (serial %s, expires %s); no new version", r.Bundle, r.New.Name,
			r.New.Serial, r.New.NotAfter.UTC().Format(time.DateOnly))
	} else {
		verb := "published"
		if r.Action == "rollback" {
			verb = "rolled back"
		}
		fmt.Fprintf(&b, "%s %s: %s (serial %s, expires %s)", verb, r.Bundle, r.New.Name,
			r.New.Serial, r.New.NotAfter.UTC().Format(time.DateOnly))
		if r.Old != nil {
			fmt.Fprintf(&b, ", was %s", r.Old.Name)
			if r.Old.Serial != "" {
				fmt.Fprintf(&b, " (serial %s)", r.Old.Serial)
			}
		}
	}
	if len(r.Pruned) > 0 {
		fmt.Fprintf(&b, "; pruned %s", strings.Join(r.Pruned, " "))
	}
	if len(r.AlsoWritten) > 0 {
		fmt.Fprintf(&b, "; also wrote %s", strings.Join(r.AlsoWritten, " "))
	}
	return b.String()
}

// Describe is the one-line outcome of a prune.
func (r *PruneResult) Describe() string {
	kept := strings.Join(r.Kept, " ")
	if len(r.Pruned) == 0 {
		return fmt.Sprintf("%s: nothing to prune (kept %s; current %s)", r.Bundle, kept, orNone(r.Current))
	}
	return fmt.Sprintf("pruned %s: %s (kept %s; current %s)", r.Bundle, strings.Join(r.Pruned, " "), kept, orNone(r.Current))
}

// WriteVersions renders `store ls` output: a table, or JSON when asJSON.
// The table is for a terminal: every field that comes from a certificate
// or meta.json (names, serials, sources, errors) is sanitised, so an
// escape sequence in a subject cannot retitle the window or write the
// clipboard, and a tab in one cannot shift the columns (Sanitize makes it
// a space). JSON keeps exact values (the encoder escapes them).
func WriteVersions(w io.Writer, rows []VersionListing, asJSON bool) error {
	if asJSON {
		if rows == nil {
			rows = []VersionListing{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BUNDLE\tVERSION\tCURRENT\tSERIAL\tEXPIRES\tNAMES\tPUBLISHED")
	clean := model.Sanitize
	for _, r := range rows {
		cur := ""
		if r.Current {
			cur = "*"
		}
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t(%s)\t\t\t\n", clean(r.Bundle), clean(r.Version), cur, clean(r.Error))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(r.Bundle), clean(r.Version), cur, clean(r.Serial),
			r.NotAfter.UTC().Format(time.DateOnly), clean(strings.Join(r.SANs, ",")), r.PublishedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}
