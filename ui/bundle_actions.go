package ui

import (
	"fmt"
	"strings"
	"time"

	"certdeck/model"
	"certdeck/rotate"

	tea "charm.land/bubbletea/v2"
)

// Publish (p) and rollback (b) of a store-layout bundle. Every step that
// touches the disk runs in a tea.Cmd: key → plan Cmd → "(y/N)" dialog →
// on y, the action Cmd → result message → flash, event, re-read and
// re-probe. Key bytes live only inside those Cmds: the dialog holds the
// plan's public summary, and the action re-reads the source.

// reprobeDelay lets hot-reloading servers (rotate.Reloader) swap before
// the serving endpoints are probed again.
const reprobeDelay = 300 * time.Millisecond

// planMsg carries a computed plan to the dialog.
type planMsg struct {
	action string // "publish" or "rollback"
	bundle model.Bundle
	lines  []string // the dialog's summary
	// version pins a rollback to the version the dialog showed.
	version string
	serial  string // the new serial the dialog showed
	err     error
}

// actionDoneMsg is the result of a confirmed publish or rollback.
type actionDoneMsg struct {
	action string
	bundle model.Bundle
	res    *rotate.Result
	want   string // serial the dialog promised
	err    error
}

// confirmDialog is the pending "(y/N)" question; Cancel is the default.
type confirmDialog struct {
	plan planMsg
}

// startAction is p/b on the selected bundle: it checks what can be
// checked without I/O and returns the Cmd that computes the plan.
func (m *Model) startAction(action string) tea.Cmd {
	bs := m.selectedBundle()
	if bs == nil {
		m.setFlash(action + " works on a bundle: tab to the Bundles section")
		return nil
	}
	b := bs.Bundle
	if !isStoreBundle(bs) {
		m.setFlash(fmt.Sprintf("%s: %s is not a store-layout bundle", action, clean(b.Name)))
		return nil
	}
	if action == "publish" && b.Source == "" {
		m.setError(fmt.Sprintf("publish %s: no source: configured to publish from", clean(b.Name)))
		return nil
	}
	m.setFlash(fmt.Sprintf("planning %s of %s…", action, clean(b.Name)))
	ro := m.ctx.ReadOnly
	if action == "publish" {
		return func() tea.Msg { return planPublish(b, ro) }
	}
	return func() tea.Msg { return planRollback(b, ro) }
}

func isStoreBundle(bs *model.BundleState) bool {
	if bs.Facts != nil && bs.Facts.Layout != "" {
		return bs.Facts.Layout == model.LayoutStore
	}
	return bs.Bundle.Layout == model.LayoutStore
}

// planPublish runs in a Cmd: it reads the source and validates it
// against current without writing anything.
func planPublish(b model.Bundle, readOnly bool) tea.Msg {
	msg := planMsg{action: "publish", bundle: b}
	store, name, err := rotate.BundleStore(b, readOnly)
	if err != nil {
		msg.err = err
		return msg
	}
	in, err := rotate.SourceInputs(b)
	if err != nil {
		msg.err = err
		return msg
	}
	p, err := store.Plan(name, in)
	if err != nil {
		msg.err = err
		return msg
	}
	old := "none"
	oldSerial, oldExp := "-", "-"
	if p.Old != nil {
		old, oldSerial, oldExp = p.Old.Name, model.ShortSerial(p.Old.Serial), p.Old.NotAfter.Format(time.DateOnly)
	}
	msg.serial = p.New.Serial
	msg.lines = []string{
		fmt.Sprintf("Publish %s from %s", b.Name, b.Source),
		fmt.Sprintf("version  %s → %s", old, p.New.Name),
		fmt.Sprintf("serial   %s → %s", oldSerial, model.ShortSerial(p.New.Serial)),
		fmt.Sprintf("expires  %s → %s", oldExp, p.New.NotAfter.Format(time.DateOnly)),
		"names    " + sanDiff(p.AddedNames, p.RemovedNames),
	}
	return msg
}

// planRollback runs in a Cmd: which version would become current.
func planRollback(b model.Bundle, readOnly bool) tea.Msg {
	msg := planMsg{action: "rollback", bundle: b}
	store, name, err := rotate.BundleStore(b, readOnly)
	if err != nil {
		msg.err = err
		return msg
	}
	p, err := store.PlanRollback(name, "")
	if err != nil {
		msg.err = err
		return msg
	}
	old := rotate.VersionRef{Name: "none"}
	if p.Old != nil {
		old = *p.Old
	}
	msg.version, msg.serial = p.New.Name, p.New.Serial
	msg.lines = []string{
		fmt.Sprintf("Roll back %s", b.Name),
		fmt.Sprintf("version  %s → %s", old.Name, p.New.Name),
		fmt.Sprintf("serial   %s → %s", model.ShortSerial(old.Serial), model.ShortSerial(p.New.Serial)),
		fmt.Sprintf("expires  %s → %s", old.NotAfter.Format(time.DateOnly), p.New.NotAfter.Format(time.DateOnly)),
		"names    " + sanDiff(model.MissingNames(p.New.SANs, old.SANs), model.MissingNames(old.SANs, p.New.SANs)),
	}
	return msg
}

// runAction runs in a Cmd after y: the only place the console writes.
func runAction(p planMsg, readOnly bool) tea.Msg {
	done := actionDoneMsg{action: p.action, bundle: p.bundle, want: p.serial}
	store, name, err := rotate.BundleStore(p.bundle, readOnly)
	if err != nil {
		done.err = err
		return done
	}
	if p.action == "rollback" {
		done.res, done.err = store.Rollback(name, p.version)
		return done
	}
	in, err := rotate.SourceInputs(p.bundle)
	if err != nil {
		done.err = err
		return done
	}
	done.res, done.err = store.Publish(name, in)
	return done
}

// onPlan opens the dialog, or reports why there is nothing to confirm.
func (m *Model) onPlan(p planMsg) {
	if p.err != nil {
		m.setError(fmt.Sprintf("%s %s: %s", p.action, clean(p.bundle.Name), clean(p.err.Error())))
		return
	}
	m.flash = ""
	m.confirm = &confirmDialog{plan: p}
	m.mode = modeConfirm
}

// keyConfirm: y runs the action; every other key cancels (Cancel is the
// focused default, so a stray key never changes anything).
func (m *Model) keyConfirm(msg tea.KeyPressMsg) tea.Cmd {
	d := m.confirm
	m.confirm = nil
	m.mode = modeNormal
	if d == nil {
		return nil
	}
	if msg.String() != "y" {
		m.setFlash(d.plan.action + " cancelled")
		return nil
	}
	m.setFlash(fmt.Sprintf("%s of %s running…", d.plan.action, clean(d.plan.bundle.Name)))
	ro, p := m.ctx.ReadOnly, d.plan
	return func() tea.Msg { return runAction(p, ro) }
}

// onActionDone reports the result and asks for a re-read of the bundle
// and a re-probe of what it serves, so drift shows who needs a reload.
func (m *Model) onActionDone(d actionDoneMsg) tea.Cmd {
	now := m.ctx.Now()
	name := clean(d.bundle.Name)
	if d.err != nil {
		text := fmt.Sprintf("%s %s failed: %s", d.action, name, clean(d.err.Error()))
		m.setError(text)
		m.ring.Add(model.Change{Time: now, Subject: d.bundle.Name, Kind: model.ChangeAction, Message: text})
		return nil
	}
	old := "none"
	if d.res.Old != nil {
		old = d.res.Old.Name + " " + model.ShortSerial(d.res.Old.Serial)
	}
	verb := map[string]string{"publish": "published", "rollback": "rolled back"}[d.action]
	text := fmt.Sprintf("%s %s: %s → %s %s", verb, name, old, d.res.New.Name, model.ShortSerial(d.res.New.Serial))
	if d.want != "" && d.want != d.res.New.Serial {
		text += fmt.Sprintf(" (source changed since the dialog showed %s)", model.ShortSerial(d.want))
	}
	if len(d.res.Warnings) > 0 {
		text += "; warning: " + clean(d.res.Warnings[0])
	}
	m.setFlash(text)
	m.ring.Add(model.Change{Time: now, Subject: d.bundle.Name, Kind: model.ChangeAction, Message: text})
	return m.recheckBundle(d.bundle, reprobeDelay)
}

// renderConfirm draws the dialog over the middle of the body.
func (m *Model) renderConfirm(body []string, w int) []string {
	d := m.confirm
	st := m.ctx.Styles
	inner := 0
	for _, l := range d.plan.lines {
		inner = max(inner, width(clean(l)))
	}
	inner = min(max(inner, 40), w-6)
	box := []string{"┌" + strings.Repeat("─", inner+2) + "┐"}
	row := func(s string) string { return "│ " + fit(s, inner) + " │" }
	for i, l := range d.plan.lines {
		if i == 0 {
			box = append(box, row(st.Title.Render(clean(l))))
			box = append(box, row(""))
			continue
		}
		box = append(box, row(clean(l)))
	}
	box = append(box, row(""))
	buttons := st.Selected.Render("[ Cancel ]") + "   " + st.Muted.Render(strings.ToUpper(d.plan.action[:1])+d.plan.action[1:]+" (y)") +
		st.Muted.Render("   (y/N)")
	box = append(box, row(buttons), "└"+strings.Repeat("─", inner+2)+"┘")
	top := max(0, (len(body)-len(box))/2)
	left := max(0, (w-inner-4)/2)
	out := append([]string(nil), body...)
	for i, b := range box {
		if top+i < len(out) {
			out[top+i] = fit(strings.Repeat(" ", left)+b, w)
		}
	}
	return out
}

// sanDiff is "+a −b", or "unchanged".
func sanDiff(added, removed []string) string {
	var parts []string
	for _, a := range added {
		parts = append(parts, "+"+a)
	}
	for _, r := range removed {
		parts = append(parts, "−"+r)
	}
	if len(parts) == 0 {
		return "unchanged"
	}
	return clean(strings.Join(parts, " "))
}
