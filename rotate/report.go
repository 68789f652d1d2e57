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
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "; passed over %s", strings.Join(r.Skipped, ", "))
	}
	if r.WasRolledBack != "" {
		fmt.Fprintf(&b, "; %s had been %s (made current by name; mark cleared)", r.New.Name, r.WasRolledBack)
	}
	if r.Marked != "" {
		fmt.Fprintf(&b, "; marked %s", r.Marked)
	}
	if len(r.Pruned) > 0 {
		fmt.Fprintf(&b, "; pruned %s", strings.Join(r.Pruned, " "))
	}
	if len(r.AlsoWritten) > 0 {
		fmt.Fprintf(&b, "; also wrote %s", strings.Join(r.AlsoWritten, " "))
	}
	return b.String()
}

// Describe is the one-line outcome of a prune: each version removed and
// each kept, with the reason retention gave.
func (r *PruneResult) Describe() string {
	pruned, kept := describeDecisions(r.Versions, r.Pruned), describeDecisions(r.Versions, r.Kept)
	if len(r.Pruned) == 0 {
		return fmt.Sprintf("%s: nothing to prune; kept %s", r.Bundle, kept)
	}
	return fmt.Sprintf("pruned %s: %s; kept %s", r.Bundle, pruned, kept)
}

// describeDecisions lists versions, each with the reason ds gives for it:
// "v0001 (rollback target), v0003 (current)".
func describeDecisions(ds []PruneDecision, versions []string) string {
	if len(versions) == 0 {
		return "nothing"
	}
	out := make([]string, 0, len(versions))
	for _, v := range versions {
		s := v
		for _, d := range ds {
			if d.Version == v && d.Why != "" {
				s = d.String()
			}
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
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
	fmt.Fprintln(tw, "BUNDLE\tVERSION\tCURRENT\tSERIAL\tEXPIRES\tNAMES\tPUBLISHED\tNOTE")
	clean := model.Sanitize
	for _, r := range rows {
		cur := ""
		if r.Current {
			cur = "*"
		}
		var notes []string
		if r.RollbackTarget {
			notes = append(notes, "rollback target")
		}
		if r.RolledBack != "" {
			notes = append(notes, r.RolledBack)
		}
		note := clean(strings.Join(notes, "; "))
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t(%s)\t\t\t\t%s\n", clean(r.Bundle), clean(r.Version), cur, clean(r.Error), note)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(r.Bundle), clean(r.Version), cur, clean(r.Serial),
			r.NotAfter.UTC().Format(time.DateOnly), clean(strings.Join(r.SANs, ",")), r.PublishedAt.UTC().Format(time.RFC3339), note)
	}
	return tw.Flush()
}
