package rotate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Describe is the one-line outcome of a publish or rollback for the CLI,
// the console's flash and the event log. It names versions, serials and
// expiry, never file contents.
func (r *Result) Describe() string {
	verb := "published"
	if r.Action == "rollback" {
		verb = "rolled back"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s (serial %s, expires %s)", verb, r.Bundle, r.New.Name,
		r.New.Serial, r.New.NotAfter.UTC().Format(time.DateOnly))
	if r.Old != nil {
		fmt.Fprintf(&b, ", was %s", r.Old.Name)
		if r.Old.Serial != "" {
			fmt.Fprintf(&b, " (serial %s)", r.Old.Serial)
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

// WriteVersions renders `store ls` output: a table, or JSON when asJSON.
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
	for _, r := range rows {
		cur := ""
		if r.Current {
			cur = "*"
		}
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t(%s)\t\t\t\n", r.Bundle, r.Version, cur, r.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Bundle, r.Version, cur, r.Serial,
			r.NotAfter.UTC().Format(time.DateOnly), strings.Join(r.SANs, ","), r.PublishedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}
