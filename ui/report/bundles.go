package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"certdeck/model"
)

// bundleTable writes the bundles section of the table, worst first: status,
// name, layout, days left, not-after date, serial, key match, drift summary
// and the main reason. It writes nothing when the fleet has no bundles, so
// endpoint-only output is unchanged; after sections before it, a blank
// line separates them.
func bundleTable(w io.Writer, state *model.State, now time.Time, opt TableOptions, after bool, digits int) error {
	bundles := state.BundlesWorstFirst(now)
	if len(bundles) == 0 {
		return nil
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tBUNDLE\tLAYOUT\tDAYS\tNOT AFTER\tSERIAL\tKEY\tSERVED\tREASON")
	for _, b := range bundles {
		days, notAfter, serial := "-", "-", "-"
		if leaf := b.Leaf(); leaf != nil {
			days = strconv.Itoa(model.DaysLeft(leaf.NotAfter, now))
			notAfter = leaf.NotAfter.UTC().Format(time.DateOnly)
			serial = model.SerialTail(leaf.Serial, digits)
		}
		key := "-"
		if match, known := b.KeyMatch(); known {
			key = map[bool]string{true: "match", false: "MISMATCH"}[match]
		}
		layout := b.Bundle.Layout
		if b.Facts != nil && b.Facts.Layout != "" {
			layout = b.Facts.Layout
		}
		reason := ""
		if len(b.Verdict.Reasons) > 0 {
			reason = b.Verdict.Reasons[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			b.Verdict.Status, cell(b.Bundle.Name), cell(layout), days, notAfter, serial,
			key, orDash(b.DriftSummary()), cell(reason))
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
