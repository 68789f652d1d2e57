package ui

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"certdeck/model"
)

// Detail is the bundle's detail pane: verdict reasons, the certificate,
// every file as read (link target, mode, error) and each serving
// endpoint's drift with the serial it serves, in as many digits as tell
// it from the bundle's.
func (b *bundlesSection) Detail() []detailLine {
	bs, ok := b.selection()
	if !ok {
		return nil
	}
	st := b.ctx.Styles
	now := b.ctx.Now()
	bd := bs.Bundle
	d := &details{st: st}
	status := statusStyle(st, bs.Verdict.Status)

	d.add(st.Title.Render(clean(bd.Name))+"  "+status.Render(statusLabel(bs.Verdict.Status)), 0)
	for _, r := range bs.Verdict.Reasons {
		d.bullet(status.Render(clean(r)))
	}
	d.kv("path", clean(bd.Path))
	f := bs.Facts
	if f == nil {
		d.kv("read", "not read yet")
		return d.lines
	}
	layout := clean(f.Layout)
	if f.Version != "" {
		layout += " · version " + clean(f.Version)
	}
	d.kv("layout", layout)
	d.kv("read", fmt.Sprintf("%s (%s ago)", f.Time.Format(time.TimeOnly), formatAge(now.Sub(f.Time))))
	if bd.Source != "" {
		d.kv("source", clean(bd.Source))
	}
	if leaf := f.Leaf; leaf != nil {
		d.kv("serial", leaf.Serial)
		d.kv("valid", fmt.Sprintf("%s → %s (%s left)", leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly), formatLeft(leaf.NotAfter, now)))
		d.kv("subject", clean(leaf.Subject))
		if len(leaf.SANs) > 0 {
			d.kv("SANs", clean(strings.Join(leaf.SANs, ", ")))
		}
		d.kv("issuer", clean(leaf.Issuer))
	}
	switch match, known := bs.KeyMatch(); {
	case !known:
		d.kv("key", st.Muted.Render("not read"))
	case match:
		d.kv("key", st.OK.Render("matches the certificate")+st.Muted.Render(" ("+clean(f.KeyForm)+")"))
	default:
		d.kv("key", st.Crit.Render("does NOT match the certificate"))
	}

	d.heading(fmt.Sprintf("Files (%d)", len(f.Files)))
	for _, file := range f.Files {
		line := fmt.Sprintf("%-14s %s", clean(file.Name), fileMode(file))
		if file.Target != "" {
			line += " → " + clean(file.Target)
		}
		d.add(line, 15)
		if file.Err != "" {
			d.add("  "+st.Error.Render(clean(file.Err)), 2)
		}
	}

	d.heading("Served by" + st.Muted.Render(" "+bs.DriftSummary()))
	if len(bs.Drift) == 0 {
		d.add(st.Muted.Render("no endpoint configured in serves:"), 0)
	}
	if s := bs.Serial(); s != "" {
		d.add(st.Muted.Render(fit("(the bundle)", 20)+" holds  "+serialLabel(s, b.digits)), 21)
	}
	for _, dr := range bs.Drift {
		state := st.Muted.Render(string(dr.State))
		switch dr.State {
		case model.InSync:
			state = st.OK.Render(string(dr.State))
		case model.Drifted:
			state = st.Warn.Render("drift: reload needed")
			if dr.Newer {
				state = st.Warn.Render("drift: serves a newer certificate")
			}
		case model.DriftVerifying:
			state = st.Accent.Render("verifying: re-probe on its way")
		}
		served := "-"
		if dr.ServedSerial != "" {
			served = serialLabel(dr.ServedSerial, b.digits)
		}
		d.add(fmt.Sprintf("%s %s %s", fit(clean(dr.Endpoint), 20), st.Muted.Render("serves "+served), state), 21)
	}
	d.events(b.ctx.Events, bd.Name)
	return d.lines
}

// fileMode is "link" for a symlink (its own mode means nothing),
// "missing" for a file that is not there (not "0000"), else the
// permission bits in octal, as chmod and the findings name them.
func fileMode(f model.BundleFile) string {
	if f.Mode&fs.ModeSymlink != 0 || f.Role == model.RoleLink {
		return "link"
	}
	if f.Missing {
		return "missing"
	}
	return fmt.Sprintf("%04o", f.Mode.Perm())
}
