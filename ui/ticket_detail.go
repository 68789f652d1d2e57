package ui

import (
	"fmt"
	"time"

	"certdeck/model"
)

// Detail is the ticket_keys entry's pane: its verdict, the dir (format,
// file system, each key's role, name, since when and file), every pool
// member with the key it was seen encrypting with (and since when, from
// the ticket history), the pool rotation's confirmations, and notes.
// Names only: a key's secret halves never reach the state.
func (s *ticketsSection) Detail() []detailLine {
	ts, ok := s.selection()
	if !ok {
		return nil
	}
	st := s.ctx.Styles
	now := s.ctx.Now()
	tk := ts.TicketKeys
	d := &details{st: st}
	status := statusStyle(st, ts.Verdict.Status)
	d.add(st.Title.Render(clean(tk.Name))+"  "+status.Render(statusLabel(ts.Verdict.Status)), 0)
	for _, r := range ts.Verdict.Reasons {
		d.bullet(status.Render(clean(r)))
	}
	d.kv("dir", clean(tk.Dir))
	d.kv("format", string(tk.Format))
	d.kv("rotation", fmt.Sprintf("every %s · tickets live %s", model.FormatDays(tk.RotateEvery), model.FormatDays(tk.TicketLifetime)))
	if tk.Reload != "" {
		d.kv("reload", clean(tk.Reload))
	}
	f := ts.Facts
	if f == nil {
		d.kv("read", "not read yet")
		return d.lines
	}
	d.kv("read", fmt.Sprintf("%s (%s ago)", f.ReadAt.Format(time.TimeOnly), formatAge(now.Sub(f.ReadAt))))
	if f.FSType != "" {
		fs := clean(f.FSType)
		if f.OnMemoryFS {
			fs = st.OK.Render(fs + " (memory)")
		} else {
			fs = st.Warn.Render(fs + " (a disk)")
		}
		d.kv("file system", fs)
	}
	if due, ok := ts.NextRotationDue(); ok {
		d.kv("next due", fmt.Sprintf("%s (%s)", due.Format(time.DateTime), relative(due, now)))
	}

	d.heading(fmt.Sprintf("Keys (%d)", len(f.Keys)))
	for _, k := range f.Keys {
		since := "-"
		if !k.Since.IsZero() {
			since = fmt.Sprintf("since %s (%s)", k.Since.Format(time.DateTime), formatAge(now.Sub(k.Since)))
			if k.SinceFrom == "mtime" {
				since += st.Muted.Render(" from mtime")
			}
		}
		d.add(fmt.Sprintf("%-8s %s %s  %s  %s", k.Role, serialLabel(k.Name, s.digits), st.Muted.Render(k.Role.Describe()), since, st.Muted.Render(clean(k.File))), 9)
	}

	in, n := ts.Sync()
	d.heading(fmt.Sprintf("Pool %d/%d on the current key", in, n))
	if n == 0 {
		d.add(st.Muted.Render("no endpoint configured in serves:"), 0)
	}
	for _, m := range ts.Pool {
		line := fit(clean(m.Endpoint), 20) + " "
		switch {
		case m.Kind == "":
			line += st.Muted.Render("not probed yet")
		case m.KeyName == "":
			line += st.Muted.Render(string(m.Kind) + ": names no key")
		default:
			role := st.Warn.Render("not in the dir")
			switch m.Role {
			case model.RoleCurrent:
				role = st.OK.Render("current")
			case model.RoleNext, model.RolePrevious:
				role = st.Warn.Render(string(m.Role))
			}
			line += "encrypts with " + serialLabel(m.KeyName, s.digits) + " " + role
			if !m.Since.IsZero() {
				line += st.Muted.Render(" seen since " + m.Since.Format(time.DateTime))
			}
		}
		d.add(line, 21)
		if ms, ok := f.Members[m.Endpoint]; ok {
			if ms.Error != "" {
				d.add("  "+st.Error.Render("last reload failed: "+clean(ms.Error)), 2)
			} else if ms.Next != "" {
				d.add("  "+st.Muted.Render(fmt.Sprintf("confirmed next key %s at %s", model.ShortKeyName(ms.Next), ms.At.Format(time.DateTime))), 2)
			}
		}
	}
	for _, n := range f.Notes {
		d.bullet(st.Muted.Render(clean(n)))
	}
	d.events(s.ctx.Events, tk.Name)
	return d.lines
}

// relative is "in 3h" or "5m ago".
func relative(t, now time.Time) string {
	if t.After(now) {
		return "in " + formatAge(t.Sub(now))
	}
	return formatAge(now.Sub(t)) + " ago"
}
