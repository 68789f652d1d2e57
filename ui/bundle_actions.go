package ui

import (
	"context"
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
// plan's public summary, and the action re-reads the source. Every text
// shown passes model.Sanitize: refusals quote certificate names.

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
	// shorter: the dialog flagged that the new certificate expires sooner
	// than current, so y confirms that too (Inputs.AllowShorter). A source
	// that changed to a shorter one after the dialog is still refused.
	shorter bool
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
		m.setFlash(fmt.Sprintf("%s: %s is not a store-layout bundle", action, model.Sanitize(b.Name)))
		return nil
	}
	if action == "publish" && b.Source == "" {
		m.setError(fmt.Sprintf("publish %s: no source: configured to publish from", model.Sanitize(b.Name)))
		return nil
	}
	m.setFlash(fmt.Sprintf("planning %s of %s…", action, model.Sanitize(b.Name)))
	ro, opts, done := m.ctx.ReadOnly, m.opts.Store, m.opts.Done
	if action == "publish" {
		return func() tea.Msg {
			ctx, cancel := actionContext(done)
			defer cancel()
			return planPublish(ctx, b, ro, opts)
		}
	}
	return func() tea.Msg {
		ctx, cancel := actionContext(done)
		defer cancel()
		return planRollback(ctx, b, ro, opts)
	}
}

// actionContext is the context a plan or action runs under: cancelled
// when the console exits (Options.Done closes), so a publish waiting for
// another writer's lock does not outlive the program.
func actionContext(done <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	if done != nil {
		go func() {
			select {
			case <-done:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}

func isStoreBundle(bs *model.BundleState) bool {
	if bs.Facts != nil && bs.Facts.Layout != "" {
		return bs.Facts.Layout == model.LayoutStore
	}
	return bs.Bundle.Layout == model.LayoutStore
}

// planPublish runs in a Cmd: it reads the source and validates it
// against current without writing anything. A certificate that expires
// sooner than current is not refused here (the CLI's --allow-shorter has
// no key): the dialog flags it, and y confirms it knowingly.
func planPublish(ctx context.Context, b model.Bundle, readOnly bool, opts rotate.StoreOptions) tea.Msg {
	msg := planMsg{action: "publish", bundle: b}
	store, name, err := rotate.BundleStore(b, readOnly, opts)
	if err != nil {
		msg.err = err
		return msg
	}
	in, err := rotate.SourceInputs(b)
	if err != nil {
		msg.err = err
		return msg
	}
	in.AllowShorter = true
	p, err := store.Plan(ctx, name, in)
	if err != nil {
		msg.err = err
		return msg
	}
	msg.serial, msg.shorter = p.New.Serial, p.ExpiresSooner
	msg.lines = publishLines(b, p)
	return msg
}

// publishLines are the dialog's summary of a publish plan. Serials are
// shown in full, old above new: sequential serials (…6e, …6f) differ
// only at the end, and a prefix would show the same number twice.
func publishLines(b model.Bundle, p *rotate.PublishPlan) []string {
	oldName, oldSerial, oldExp := "none", "-", "-"
	if p.Old != nil {
		oldName, oldSerial, oldExp = p.Old.Name, p.Old.Serial, p.Old.NotAfter.Format(time.DateOnly)
	}
	lines := []string{fmt.Sprintf("Publish %s from %s", b.Name, b.Source)}
	if p.Unchanged {
		lines = append(lines, fmt.Sprintf("version  %s: already current, identical certificate and key; no new version", p.New.Name))
	} else {
		lines = append(lines, fmt.Sprintf("version  %s → %s", oldName, p.New.Name))
	}
	lines = append(lines,
		"serial   "+oldSerial,
		"       → "+p.New.Serial,
		fmt.Sprintf("expires  %s → %s", oldExp, p.New.NotAfter.Format(time.DateOnly)),
	)
	if p.ExpiresSooner && p.Old != nil {
		lines = append(lines, fmt.Sprintf("         ▲ WARN expires %s sooner than the current version", soonerBy(p.Old.NotAfter, p.New.NotAfter)))
	}
	return append(lines, "names    "+sanDiff(p.AddedNames, p.RemovedNames))
}

// soonerBy is how much earlier next expires than old, in days when it is
// at least one.
func soonerBy(old, next time.Time) string {
	d := old.Sub(next)
	if d >= 24*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}

// planRollback runs in a Cmd: which version would become current.
func planRollback(ctx context.Context, b model.Bundle, readOnly bool, opts rotate.StoreOptions) tea.Msg {
	msg := planMsg{action: "rollback", bundle: b}
	store, name, err := rotate.BundleStore(b, readOnly, opts)
	if err != nil {
		msg.err = err
		return msg
	}
	p, err := store.PlanRollback(ctx, name, "")
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
		"serial   " + old.Serial,
		"       → " + p.New.Serial,
		fmt.Sprintf("expires  %s → %s", old.NotAfter.Format(time.DateOnly), p.New.NotAfter.Format(time.DateOnly)),
		"names    " + sanDiff(model.MissingNames(p.New.SANs, old.SANs), model.MissingNames(old.SANs, p.New.SANs)),
	}
	return msg
}

// runAction runs in a Cmd after y: the only place the console writes.
func runAction(ctx context.Context, p planMsg, readOnly bool, opts rotate.StoreOptions) tea.Msg {
	done := actionDoneMsg{action: p.action, bundle: p.bundle, want: p.serial}
	store, name, err := rotate.BundleStore(p.bundle, readOnly, opts)
	if err != nil {
		done.err = err
		return done
	}
	if p.action == "rollback" {
		done.res, done.err = store.Rollback(ctx, name, p.version)
		return done
	}
	in, err := rotate.SourceInputs(p.bundle)
	if err != nil {
		done.err = err
		return done
	}
	in.AllowShorter = p.shorter
	done.res, done.err = store.Publish(ctx, name, in)
	return done
}

// onPlan opens the dialog, or reports why there is nothing to confirm.
func (m *Model) onPlan(p planMsg) {
	if p.err != nil {
		m.setError(fmt.Sprintf("%s %s: %s", p.action, model.Sanitize(p.bundle.Name), model.Sanitize(p.err.Error())))
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
	m.setFlash(fmt.Sprintf("%s of %s running…", d.plan.action, model.Sanitize(d.plan.bundle.Name)))
	ro, p, opts, done := m.ctx.ReadOnly, d.plan, m.opts.Store, m.opts.Done
	return func() tea.Msg {
		ctx, cancel := actionContext(done)
		defer cancel()
		return runAction(ctx, p, ro, opts)
	}
}

// onActionDone reports the result and asks for a re-read of the bundle
// and a re-probe of what it serves, so drift shows who needs a reload.
// Until that re-probe lands, the state is told a verification started
// (model.VerifyStarted): the serving endpoints read "verifying", not
// "reload needed". Serials are shown in full (the event log is where an
// operator compares them).
func (m *Model) onActionDone(d actionDoneMsg) tea.Cmd {
	now := m.ctx.Now()
	name := model.Sanitize(d.bundle.Name)
	if d.err != nil {
		text := fmt.Sprintf("%s %s failed: %s", d.action, name, model.Sanitize(d.err.Error()))
		m.setError(text)
		m.ring.Add(model.Change{Time: now, Subject: d.bundle.Name, Kind: model.ChangeAction, Message: text})
		return nil
	}
	var text string
	if d.res.Unchanged {
		text = fmt.Sprintf("publish %s: already current %s %s (identical certificate and key; no new version)", name, d.res.New.Name, d.res.New.Serial)
	} else {
		old := "none"
		if d.res.Old != nil {
			old = d.res.Old.Name + " " + d.res.Old.Serial
		}
		verb := map[string]string{"publish": "published", "rollback": "rolled back"}[d.action]
		text = fmt.Sprintf("%s %s: %s → %s %s", verb, name, old, d.res.New.Name, d.res.New.Serial)
	}
	if d.want != "" && d.want != d.res.New.Serial {
		text += fmt.Sprintf(" (source changed since the dialog showed %s)", d.want)
	}
	if len(d.res.Warnings) > 0 {
		text += "; warning: " + model.Sanitize(d.res.Warnings[0])
	}
	m.setFlash(text)
	m.ring.Add(model.Change{Time: now, Subject: d.bundle.Name, Kind: model.ChangeAction, Message: text})
	var verify tea.Cmd
	if !d.res.Unchanged {
		verify = m.applyBatch([]model.Event{model.VerifyStarted{Bundle: d.bundle.Name, Serial: d.res.New.Serial, Time: now}})
	}
	return tea.Batch(verify, m.recheckBundle(d.bundle, reprobeDelay))
}

// renderConfirm draws the dialog over the middle of the body.
func (m *Model) renderConfirm(body []string, w int) []string {
	d := m.confirm
	st := m.ctx.Styles
	inner := 0
	for _, l := range d.plan.lines {
		inner = max(inner, width(model.Sanitize(l)))
	}
	inner = min(max(inner, 40), w-6)
	box := []string{"┌" + strings.Repeat("─", inner+2) + "┐"}
	row := func(s string) string { return "│ " + fit(s, inner) + " │" }
	for i, l := range d.plan.lines {
		if i == 0 {
			box = append(box, row(st.Title.Render(model.Sanitize(l))))
			box = append(box, row(""))
			continue
		}
		box = append(box, row(model.Sanitize(l)))
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
	return model.Sanitize(strings.Join(parts, " "))
}
