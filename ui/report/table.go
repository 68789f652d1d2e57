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

	"github.com/charmbracelet/x/ansi"
)

// TableOptions shape the table for where it is written.
type TableOptions struct {
	// Width is the terminal's width in cells: each line is cut to fit it.
	// Zero (output to a file, a pipe, a mail from cron) never cuts: the
	// reason at the end of a line is often the part that matters.
	Width int
}

// Table writes one line per endpoint, worst first: status word, name,
// address (omitted when every name is its address, as for targets given on
// the command line), days left, not-after date, serial (its distinguishing
// end, see serialDigits), issuer, TLS version, and the error or the main
// reason (an OK row may carry a note); then, after a blank line, one line per bundle (see
// bundleTable). Sections with no rows are left out. Every cell goes
// through model.Sanitize: certificate fields and server messages are
// attacker-chosen. state must be classified at now (State.Apply or
// State.Reclassify).
func Table(w io.Writer, state *model.State, now time.Time, opt TableOptions) error {
	rows := state.WorstFirst(now)
	digits := serialDigits(state)
	wroteEndpoints := len(rows) > 0
	if wroteEndpoints {
		if err := endpointTable(w, rows, now, opt, digits); err != nil {
			return err
		}
	}
	if err := bundleTable(w, state, now, opt, wroteEndpoints, digits); err != nil {
		return err
	}
	return ticketTable(w, state, now, opt, wroteEndpoints || len(state.Bundles()) > 0)
}

// serialDigits is how many trailing serial digits both tables show: enough
// to tell apart every serial served or on disk, so sequential serials
// (…6e, …6f) never print alike and a bundle's serial can be matched by eye
// against what its endpoints serve.
func serialDigits(state *model.State) int {
	var serials []string
	for _, es := range state.Endpoints() {
		if leaf := es.Last.Leaf(); leaf != nil {
			serials = append(serials, leaf.Serial)
		}
		if es.Last != nil {
			for _, a := range es.Last.Addresses {
				if leaf := a.Leaf(); leaf != nil {
					serials = append(serials, leaf.Serial)
				}
			}
		}
	}
	for _, b := range state.Bundles() {
		if leaf := b.Leaf(); leaf != nil {
			serials = append(serials, leaf.Serial)
		}
	}
	return model.DistinctTailLength(serials, model.MinSerialDigits, nil)
}

func endpointTable(w io.Writer, rows []*model.EndpointState, now time.Time, opt TableOptions, digits int) error {
	showAddress := false
	for _, es := range rows {
		showAddress = showAddress || es.Endpoint.Name != es.Endpoint.Target.String()
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	if showAddress {
		fmt.Fprintln(tw, "STATUS\tNAME\tADDRESS\tDAYS\tNOT AFTER\tSERIAL\tISSUER\tTLS\tERROR/REASON")
	} else {
		fmt.Fprintln(tw, "STATUS\tNAME\tDAYS\tNOT AFTER\tSERIAL\tISSUER\tTLS\tERROR/REASON")
	}
	for _, es := range rows {
		days, notAfter, serial, issuer, version := served(es.Last, now, digits)
		fmt.Fprintf(tw, "%s\t%s\t", es.Verdict.Status, cell(es.Endpoint.Name))
		if showAddress {
			// Shown once: a row named by its address leaves this cell blank.
			addr := es.Endpoint.Target.String()
			if addr == es.Endpoint.Name {
				addr = ""
			}
			fmt.Fprintf(tw, "%s\t", cell(addr))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", days, notAfter, serial, cell(issuer), version, cell(reason(es)))
		addressRows(tw, es, now, showAddress, digits)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeTrimmed(w, buf.String(), opt.Width)
}

// served is the certificate columns of an observation ("-" when unknown).
func served(o *model.Observation, now time.Time, digits int) (days, notAfter, serial, issuer, version string) {
	days, notAfter, serial, issuer, version = "-", "-", "-", "-", "-"
	if o == nil {
		return
	}
	if leaf := o.Leaf(); leaf != nil {
		days = strconv.Itoa(model.DaysLeft(leaf.NotAfter, now))
		notAfter = leaf.NotAfter.UTC().Format(time.DateOnly)
		serial = model.SerialTail(leaf.Serial, digits)
		issuer = orDash(leaf.IssuerCN)
	}
	if o.TLSVersion != "" {
		version = strings.TrimPrefix(o.TLSVersion, "TLS ")
	}
	return
}

// addressRows writes, under an endpoint probed at every address of its
// name (all_ips), one line per address: its status, "└ IP", what it
// serves and its own first finding.
func addressRows(tw io.Writer, es *model.EndpointState, now time.Time, showAddress bool, digits int) {
	if es.Last == nil {
		return
	}
	for _, a := range es.Last.Addresses {
		v := model.ClassifyEndpoint(a, es.Endpoint.Thresholds, now)
		days, notAfter, serial, issuer, version := served(a, now, digits)
		why := ""
		switch {
		case a.Failed():
			why = string(a.ErrKind) + ": " + a.Error
		case len(v.Reasons) > 0:
			why = v.Reasons[0]
		}
		fmt.Fprintf(tw, "%s\t  └ %s\t", v.Status, cell(a.IP))
		if showAddress {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", days, notAfter, serial, cell(issuer), version, cell(why))
	}
}

// writeTrimmed copies tabwriter output line by line without trailing
// blanks (tabwriter pads the empty last cell of OK rows, which is noise in
// diffs and golden files), cutting each line to width cells when width is
// set.
func writeTrimmed(w io.Writer, text string, width int) error {
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		line = strings.TrimRight(line, " \n")
		if width > 0 {
			line = ansi.Truncate(line, width, "…")
		}
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// reason is the text of the last column: the probe error with its kind,
// or the worst finding, or a note an OK row carries ("requires a client
// certificate; none configured").
func reason(es *model.EndpointState) string {
	if o := es.Last; o != nil && o.Failed() && len(o.Addresses) == 0 {
		return string(o.ErrKind) + ": " + o.Error
	}
	if len(es.Verdict.Reasons) == 0 {
		return ""
	}
	return es.Verdict.Reasons[0]
}

// cell makes a value safe for one tab-separated cell and the terminal:
// server-supplied text (issuer names, error messages) may hold tabs,
// newlines, escape sequences or bidi overrides; model.Sanitize shows them
// as visible escapes and turns tabs and newlines into spaces.
func cell(s string) string { return model.Sanitize(s) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
