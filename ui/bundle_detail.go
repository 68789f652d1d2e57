package ui

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"certdeck/model"
)

// bundleDetailLines is the detail pane of one bundle: verdict reasons,
// the certificate, every file as read (link target, mode, error) and each
// serving endpoint's drift with the serial it served.
func (m *Model) bundleDetailLines(bs *model.BundleState) []string {
	st := m.ctx.Styles
	now := m.ctx.Now()
	b := bs.Bundle
	label := func(k string) string { return st.Muted.Render(fmt.Sprintf("%-10s", k)) }
	var l []string
	add := func(k, v string) { l = append(l, label(k)+" "+v) }

	l = append(l, st.Title.Render(clean(b.Name))+"  "+statusStyle(st, bs.Verdict.Status).Render(statusLabel(bs.Verdict.Status)))
	for _, r := range bs.Verdict.Reasons {
		l = append(l, "  "+statusStyle(st, bs.Verdict.Status).Render("• "+clean(r)))
	}
	add("path", clean(b.Path))
	f := bs.Facts
	if f == nil {
		add("read", "not read yet")
		return l
	}
	layout := clean(f.Layout)
	if f.Version != "" {
		layout += " · version " + clean(f.Version)
	}
	add("layout", layout)
	add("read", fmt.Sprintf("%s (%s ago)", f.Time.Format(time.TimeOnly), formatAge(now.Sub(f.Time))))
	if b.Source != "" {
		add("source", clean(b.Source))
	}
	if leaf := f.Leaf; leaf != nil {
		add("serial", leaf.Serial)
		add("valid", fmt.Sprintf("%s → %s (%s left)", leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly), formatLeft(leaf.NotAfter, now)))
		add("subject", clean(leaf.Subject))
		if len(leaf.SANs) > 0 {
			add("SANs", clean(strings.Join(leaf.SANs, ", ")))
		}
		add("issuer", clean(leaf.Issuer))
	}
	switch match, known := bs.KeyMatch(); {
	case !known:
		add("key", st.Muted.Render("not read"))
	case match:
		add("key", st.OK.Render("matches the certificate")+st.Muted.Render(" ("+clean(f.KeyForm)+")"))
	default:
		add("key", st.Crit.Render("does NOT match the certificate"))
	}

	l = append(l, "", st.Title.Render(fmt.Sprintf("Files (%d)", len(f.Files))))
	for _, file := range f.Files {
		line := fmt.Sprintf("%-14s %s", clean(file.Name), fileMode(file))
		if file.Target != "" {
			line += " → " + clean(file.Target)
		}
		l = append(l, line)
		if file.Err != "" {
			l = append(l, "  "+st.Error.Render(clean(file.Err)))
		}
	}

	l = append(l, "", st.Title.Render("Served by")+st.Muted.Render(" "+bs.DriftSummary()))
	if len(bs.Drift) == 0 {
		l = append(l, st.Muted.Render("no endpoint configured in serves:"))
	}
	for _, d := range bs.Drift {
		state := st.Muted.Render(string(d.State))
		switch d.State {
		case model.InSync:
			state = st.OK.Render(string(d.State))
		case model.Drifted:
			state = st.Warn.Render("drift: reload needed")
			if d.Newer {
				state = st.Warn.Render("drift: serves a newer certificate")
			}
		}
		served := "-"
		if d.ServedSerial != "" {
			served = model.ShortSerial(d.ServedSerial)
		}
		l = append(l, fmt.Sprintf("%-20s %s %s", fit(clean(d.Endpoint), 20), st.Muted.Render("serves "+served), state))
	}

	l = append(l, "", st.Title.Render("Recent events"))
	evs := m.ring.LastFor(b.Name, detailEvents)
	if len(evs) == 0 {
		l = append(l, st.Muted.Render("none"))
	}
	for _, c := range evs {
		l = append(l, st.Muted.Render(c.Time.Format(time.TimeOnly))+" "+st.Accent.Render(string(c.Kind))+" "+clean(c.Message))
	}
	return l
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
