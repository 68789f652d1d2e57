package rotate

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"certdeck/model"
)

// TicketConfigLines are the server config lines that load the keys of a
// dir in format f, in the order that matters: for nginx the encrypting key
// first (the first ssl_session_ticket_key encrypts, all decrypt); for
// HAProxy the one file whose line order carries the roles. server is
// "nginx", "haproxy" or "apache"; a server that cannot read f is an error
// naming the conversion that fixes it.
func TicketConfigLines(dir string, f model.TicketFormat, server string) ([]string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	path := func(name string) string { return configWord(filepath.Join(abs, name)) }
	switch {
	case server == "nginx" && (f == model.TicketNginx48 || f == model.TicketNginx80):
		return []string{
			"ssl_session_tickets on;",
			"ssl_session_ticket_key " + path(model.TicketKeyFile(model.RoleCurrent)) + ";   # encrypts: must be the first",
			"ssl_session_ticket_key " + path(model.TicketKeyFile(model.RoleNext)) + ";      # decrypt-only (next)",
			"ssl_session_ticket_key " + path(model.TicketKeyFile(model.RolePrevious)) + ";  # decrypt-only (previous)",
		}, nil
	case server == "haproxy" && f == model.TicketHAProxy:
		return []string{
			"# on each bind line (or crt-list entry) that terminates TLS:",
			"bind :443 ssl crt /etc/haproxy/site.pem tls-ticket-keys " + path(model.HAProxyTicketFile),
			"# the file's last 3 lines are previous, current (encrypts) and next",
		}, nil
	case server == "apache" && f == model.TicketApache48:
		return []string{
			"SSLSessionTicketKeyFile " + path(model.TicketKeyFile(model.RoleCurrent)),
			"# Apache loads one key: after a rotation and reload, tickets of the previous key no longer resume",
		}, nil
	case server != "nginx" && server != "haproxy" && server != "apache":
		return nil, fmt.Errorf("server %q: want nginx, haproxy or apache", server)
	}
	want := map[string]string{"nginx": "nginx80", "haproxy": "haproxy", "apache": "apache48"}[server]
	// A command to paste: the dir is a shell word (configWord's double
	// quotes would let a shell expand "$(…)" in it).
	return nil, fmt.Errorf("%s does not read %s keys; convert them: certdeck tickets convert --dir %s --format %s --to DIR --to-format %s",
		server, f, shellWords([]string{abs}), f, want)
}

// configWord quotes a path for an nginx or HAProxy config when it holds
// characters those parsers split on.
func configWord(p string) string {
	if strings.ContainsAny(p, " \t;#\"'{}$\\") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p) + `"`
	}
	return p
}

// TicketDirReport is `tickets show --format json`: the facts (names,
// roles, ages, files, findings: never a secret) with the verdict.
type TicketDirReport struct {
	model.TicketDirFacts
	Status  model.Status `json:"status"`
	Reasons []string     `json:"reasons"`
	// NextRotationDue is when the encrypting key reaches rotate_every;
	// zero when no rotate_every applies.
	NextRotationDue time.Time `json:"next_rotation_due,omitzero"`
}

// NewTicketDirReport judges facts at now.
func NewTicketDirReport(facts model.TicketDirFacts, rotateEvery time.Duration, now time.Time) TicketDirReport {
	v := model.JudgeTicketDir(&facts, rotateEvery, now)
	r := TicketDirReport{TicketDirFacts: facts, Status: v.Status, Reasons: v.Reasons}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	if cur, ok := facts.Key(model.RoleCurrent); ok && rotateEvery > 0 && !cur.Since.IsZero() {
		r.NextRotationDue = cur.Since.Add(rotateEvery)
	}
	return r
}

// WriteTicketDir prints a report as a table (every field sanitised) or as
// JSON (exact values).
func WriteTicketDir(w io.Writer, r TicketDirReport, now time.Time, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fs := r.FSType
	if fs == "" {
		fs = "file system unknown"
	}
	fmt.Fprintf(w, "%s  %s  %s %s  (%s)\n", model.Sanitize(r.Dir), r.Format, r.Status.Glyph(), r.Status, model.Sanitize(fs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tNAME\tSINCE\tAGE\tFILE\tDOES")
	for _, k := range r.Keys {
		since := "-"
		age := "-"
		if !k.Since.IsZero() {
			since = k.Since.UTC().Format("2006-01-02 15:04:05Z")
			if k.SinceFrom == "mtime" {
				since += " (mtime)"
			}
			age = model.FormatAge(now.Sub(k.Since)) // as check's table says it
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Role, k.Name, since, age, model.Sanitize(k.File), k.Role.Describe())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !r.NextRotationDue.IsZero() {
		fmt.Fprintf(w, "next rotation due %s\n", r.NextRotationDue.UTC().Format(time.RFC3339))
	}
	for _, reason := range r.Reasons {
		fmt.Fprintln(w, "  "+model.Sanitize(reason))
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "  note: "+model.Sanitize(n))
	}
	return nil
}

// Describe is one line per change for the CLI: names before → after.
// The dirs are sanitised here (model.Sanitize): the CLI prints the lines
// through model.SanitizeLines, which keeps newlines, and a newline in a
// dir name must not start a line of its own.
func (r *TicketResult) Describe() string {
	var b strings.Builder
	dir, from := model.Sanitize(r.Dir), model.Sanitize(r.From)
	switch {
	case r.Unchanged:
		fmt.Fprintf(&b, "%s already holds a complete %s key set (current %s)", dir, r.Format, r.After[model.RoleCurrent])
		return b.String()
	case r.Action == "init":
		fmt.Fprintf(&b, "created %s keys in %s", r.Format, dir)
	case r.Action == "convert":
		fmt.Fprintf(&b, "wrote the %s keys of %s as %s keys in %s (same keys, same roles)", r.FromFormat, from, r.Format, dir)
		for _, role := range model.TicketRoles {
			fmt.Fprintf(&b, "\n  %-8s %s", role, r.After[role])
		}
		return b.String()
	case r.Finished != "":
		fmt.Fprintf(&b, "%s: %s", dir, model.Sanitize(r.Finished))
	default:
		fmt.Fprintf(&b, "rotated %s keys in %s", r.Format, dir)
	}
	for _, role := range model.TicketRoles {
		before, after := r.Before[role], r.After[role]
		switch {
		case before == "":
			fmt.Fprintf(&b, "\n  %-8s %s", role, after)
		case before == after:
			fmt.Fprintf(&b, "\n  %-8s %s (unchanged)", role, after)
		default:
			fmt.Fprintf(&b, "\n  %-8s %s → %s", role, before, after)
		}
	}
	return b.String()
}
