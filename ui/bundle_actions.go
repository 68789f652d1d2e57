package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"

	tea "charm.land/bubbletea/v2"
)

// Publish (p) and rollback (b) of a store-layout bundle, run as
// rotate.Actions on the console's one engine (Options.Engine): read-only
// refusal, the in-flight registry, verification and the audit line are
// the engine's, the same code as the CLI's. Every step that touches the
// disk runs in a tea.Cmd: key → plan Cmd → "(y/N)" dialog → on y, the
// action Cmd (publish, then verification of the endpoints that need no
// reload) → result message → flash, event, re-read. Key bytes live only
// inside those Cmds: the dialog holds the plan's public summary, and the
// action re-reads the source. Every text shown passes model.Sanitize:
// refusals quote certificate names.

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
	// claims are what the action will hold: an action that began on one
	// of them while this was planned refuses it before the dialog.
	claims []string
	// oldVersion and newVersion are the store change the dialog showed.
	oldVersion, newVersion string
	err                    error
	launch                 int // set at y (launch.go)
}

// actionDoneMsg is the result of a confirmed publish or rollback.
type actionDoneMsg struct {
	action string
	bundle model.Bundle
	out    *rotate.Outcome // nil only when no action could be built
	want   string          // serial the dialog promised
	err    error
	launch int // the launch it ends (launch.go)
}

// res is the store's result, nil when the store did not change.
func (d actionDoneMsg) res() *rotate.Result {
	if d.out == nil {
		return nil
	}
	return d.out.Forward.Store
}

// newEngine is the console's engine when Options.Engine is nil: the
// fleet, read-only mode and store options of the console, verification
// through the scheduler (probe.Scheduler is a rotate.Verifier).
func newEngine(opts Options) *rotate.Engine {
	eo := rotate.EngineOptions{Fleet: opts.Fleet, ReadOnly: opts.ReadOnly, Store: opts.Store, BundleSerial: probe.BundleSerial}
	if v, ok := opts.Prober.(rotate.Verifier); ok {
		eo.Verifier = v
	}
	return rotate.NewEngine(eo)
}

// storeAction is the engine's publish or rollback of b; for a publish,
// allowShorter says the dialog's y confirmed a sooner expiry.
func storeAction(e *rotate.Engine, action string, b model.Bundle, version string, allowShorter bool) (rotate.Action, error) {
	if action == "rollback" {
		return e.Rollback(rotate.RollbackRequest{Bundle: b.Name, Version: version, Verify: true})
	}
	return e.Publish(rotate.PublishRequest{Bundle: b.Name, AllowShorter: allowShorter, Verify: true})
}

// startAction is p/b on the selected bundle.
func (m *Model) startAction(action string) tea.Cmd {
	bs := m.selectedBundle()
	if bs == nil {
		m.setFlash(action + " works on a bundle: tab to the Bundles section")
		return nil
	}
	return m.startBundleAction(action, bs, "")
}

// startBundleAction is p/b on bs (the selection, or the bundle :publish
// and :rollback name): it checks what can be checked without I/O and
// returns the Cmd that computes the plan. version pins a rollback to a
// version ("" is the store's rollback target).
func (m *Model) startBundleAction(action string, bs *model.BundleState, version string) tea.Cmd {
	b := bs.Bundle
	if !isStoreBundle(bs) {
		m.setFlash(fmt.Sprintf("%s: %s is not a store-layout bundle", action, model.Sanitize(b.Name)))
		return nil
	}
	if action == "publish" && b.Source == "" {
		m.setErrorFor(b.Name, fmt.Sprintf("publish %s: no source: configured to publish from", model.Sanitize(b.Name)))
		return nil
	}
	claims := bundleClaims(m.opts.Fleet, b, false)
	if m.refuseBusy(action+" "+b.Name, claims) {
		return nil
	}
	m.setFlash(fmt.Sprintf("planning %s of %s…", action, model.Sanitize(b.Name)))
	e, done, stop := m.opts.Engine, m.opts.Done, m.stop
	return func() tea.Msg {
		ctx, cancel := actionContext(done, stop)
		defer cancel()
		var msg planMsg
		if action == "publish" {
			msg = planPublish(ctx, e, b)
		} else {
			msg = planRollback(ctx, e, b, version)
		}
		msg.claims = claims
		return msg
	}
}

// actionContext is the context a plan or action runs under: cancelled
// when the console exits (Options.Done closes), so a publish waiting for
// another writer's lock does not outlive the program, and when a quit
// cancels what runs (stop closes; quit.go).
func actionContext(done, stop <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-done: // nil (tests without a program): never
		case <-stop:
		case <-ctx.Done():
			return
		}
		cancel()
	}()
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
func planPublish(ctx context.Context, e *rotate.Engine, b model.Bundle) planMsg {
	msg := planMsg{action: "publish", bundle: b}
	a, err := storeAction(e, "publish", b, "", true)
	if err != nil {
		msg.err = err
		return msg
	}
	plan, err := a.Plan(ctx)
	if err != nil {
		msg.err = err
		return msg
	}
	p := plan.Publish
	msg.serial, msg.shorter = p.New.Serial, p.ExpiresSooner
	msg.oldVersion, msg.newVersion = plan.OldVersion, plan.NewVersion
	msg.lines = append(publishLines(b, p), planDetail(plan)...)
	return msg
}

// planDetail is what the engine's plan adds to the dialog's summary:
// the endpoints verified afterwards and its warnings (an endpoint whose
// reload the action does not run).
func planDetail(p rotate.Plan) []string {
	var lines []string
	for _, l := range p.Lines()[1:] {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "verify") || strings.HasPrefix(t, "warning") || strings.HasPrefix(t, "if verification") {
			lines = append(lines, t)
		}
	}
	return lines
}

// publishLines are the dialog's summary of a publish plan. Serials are
// shown in full, old above new: sequential serials (…6e, …6f) differ
// only at the end, and a prefix would show the same number twice.
func publishLines(b model.Bundle, p *rotate.PublishPlan) []string {
	oldName, oldSerial := "none", "-"
	if p.Old != nil {
		oldName, oldSerial = p.Old.Name, p.Old.Serial
	}
	lines := []string{fmt.Sprintf("Publish %s from %s", b.Name, b.Source)}
	if p.Unchanged {
		lines = append(lines, fmt.Sprintf("version  %s: already current, identical certificate and key; no new version", p.New.Name))
	} else {
		lines = append(lines, fmt.Sprintf("version  %s → %s", oldName, p.New.Name))
	}
	lines = append(lines, "serial   "+oldSerial, "       → "+p.New.Serial)
	lines = append(lines, expiryLines(p.Old, p.New)...)
	return append(lines, "names    "+sanDiff(p.AddedNames, p.RemovedNames))
}

// expiryLines are a dialog's "expires  old → new" and, when the new
// certificate expires sooner than the one it replaces, the flag under it.
// p, P, b and :rollback all say it with this code.
func expiryLines(old *rotate.VersionRef, next rotate.VersionRef) []string {
	oldExp := "-"
	if old != nil {
		oldExp = old.NotAfter.Format(time.DateOnly)
	}
	lines := []string{fmt.Sprintf("expires  %s → %s", oldExp, next.NotAfter.Format(time.DateOnly))}
	if flag := soonerFlag(old, next); flag != "" {
		lines = append(lines, "         "+flag)
	}
	return lines
}

// soonerFlag is "▲ WARN expires 20 days sooner than the current version"
// when next expires before old (the engine's rule for a publish: it
// refuses one unless confirmed), else "". The dialog draws a line that
// starts with a status label in that status's colour.
func soonerFlag(old *rotate.VersionRef, next rotate.VersionRef) string {
	if old == nil || !next.NotAfter.Before(old.NotAfter) {
		return ""
	}
	return fmt.Sprintf("%s expires %s sooner than the current version", statusLabel(model.Warn), soonerBy(old.NotAfter, next.NotAfter))
}

// soonerBy is how much earlier next expires than old, in days when it is
// at least one ("1 day", "20 days").
func soonerBy(old, next time.Time) string {
	d := old.Sub(next)
	if d >= 24*time.Hour {
		return countWord(int(d/(24*time.Hour)), "day", "days")
	}
	return d.Round(time.Minute).String()
}

// planRollback runs in a Cmd: which version would become current
// (version, or the store's rollback target when "").
func planRollback(ctx context.Context, e *rotate.Engine, b model.Bundle, version string) planMsg {
	msg := planMsg{action: "rollback", bundle: b}
	a, err := storeAction(e, "rollback", b, version, false)
	if err != nil {
		msg.err = err
		return msg
	}
	plan, err := a.Plan(ctx)
	if err != nil {
		msg.err = err
		return msg
	}
	p := plan.Rollback
	old := rotate.VersionRef{Name: "none"}
	if p.Old != nil {
		old = *p.Old
	}
	msg.version, msg.serial = p.New.Name, p.New.Serial
	msg.oldVersion, msg.newVersion = plan.OldVersion, plan.NewVersion
	title := "Roll back " + b.Name
	if version != "" {
		title += " to " + p.New.Name
	}
	msg.lines = []string{
		title,
		fmt.Sprintf("version  %s → %s", old.Name, p.New.Name),
		"serial   " + old.Serial,
		"       → " + p.New.Serial,
	}
	msg.lines = append(msg.lines, expiryLines(p.Old, p.New)...)
	msg.lines = append(msg.lines, "names    "+sanDiff(model.MissingNames(p.New.SANs, old.SANs), model.MissingNames(old.SANs, p.New.SANs)))
	msg.lines = append(msg.lines, planDetail(plan)...)
	return msg
}

// runAction runs in a Cmd after y, through the engine (which refuses
// under --read-only on its own); progress goes to the console's relay.
func runAction(ctx context.Context, e *rotate.Engine, p planMsg, progress func(rotate.Progress)) tea.Msg {
	done := actionDoneMsg{action: p.action, bundle: p.bundle, want: p.serial, launch: p.launch}
	a, err := storeAction(e, p.action, p.bundle, p.version, p.shorter)
	if err != nil {
		done.err = err
		return done
	}
	done.out, done.err = a.Run(ctx, progress)
	return done
}

// onPlan opens the dialog, or reports why there is nothing to confirm.
func (m *Model) onPlan(p planMsg) {
	if p.err != nil {
		m.setErrorFor(p.bundle.Name, fmt.Sprintf("%s %s: %s", p.action, model.Sanitize(p.bundle.Name), model.Sanitize(p.err.Error())))
		return
	}
	if m.refuseBusy(p.action+" "+p.bundle.Name, p.claims) {
		return
	}
	m.openConfirm(&confirmDialog{lines: p.lines, verb: p.action, yes: func(m *Model) tea.Cmd {
		m.setFlash(fmt.Sprintf("%s of %s running…", p.action, model.Sanitize(p.bundle.Name)))
		p.launch = m.startLaunch(launch{kind: p.action, subject: p.bundle.Name, bundle: p.bundle.Name,
			oldVersion: p.oldVersion, newVersion: p.newVersion, claims: p.claims, since: m.ctx.Now()})
		e, done, stop, report := m.opts.Engine, m.opts.Done, m.stop, m.progress.reporter(p.action)
		return func() tea.Msg {
			ctx, cancel := actionContext(done, stop)
			defer cancel()
			return runAction(ctx, e, p, report)
		}
	}})
}

// onActionDone reports the result and asks for a re-read of the bundle.
// The engine has verified the endpoints that pick the change up by
// themselves (the scheduler's probes updated their rows); the others are
// re-probed now, so drift shows who still needs a reload. Without a
// verifier, the state is told a verification started (model.VerifyStarted:
// the serving endpoints read "verifying", not "reload needed") and
// everything it serves is re-probed after a moment. Serials are shown in
// full (the event log is where an operator compares them).
func (m *Model) onActionDone(d actionDoneMsg) tea.Cmd {
	now := m.ctx.Now()
	name := model.Sanitize(d.bundle.Name)
	byYou := m.ctx.Actions.takeCancelled(actionKey(d.action, d.bundle.Name)) || m.quitting != nil
	res := d.res()
	if res == nil {
		text := fmt.Sprintf("%s %s failed: %s", d.action, name, model.Sanitize(inWords(errText(d))))
		m.ring.Add(model.Change{Time: now, Subject: d.bundle.Name, Kind: model.ChangeAction, Message: text})
		m.setErrorFor(d.bundle.Name, text)
		return nil
	}
	var text string
	if res.Unchanged {
		text = fmt.Sprintf("publish %s: already current %s %s (identical certificate and key; no new version)", name, res.New.Name, res.New.Serial)
	} else {
		old := "none"
		if res.Old != nil {
			old = res.Old.Name + " " + res.Old.Serial
		}
		verb := map[string]string{"publish": "published", "rollback": "rolled back"}[d.action]
		text = fmt.Sprintf("%s %s: %s → %s %s", verb, name, old, res.New.Name, res.New.Serial)
	}
	if d.want != "" && d.want != res.New.Serial {
		text += fmt.Sprintf(" (source changed since the dialog showed %s)", d.want)
	}
	verified := map[string]bool{}
	for _, v := range d.out.Forward.Verify {
		verified[v.Endpoint] = true
	}
	if len(verified) > 0 || !d.out.OK() {
		text += "; " + model.Sanitize(outcomeResult(d.out, byYou))
	}
	if len(d.out.Warnings) > 0 {
		text += "; warning: " + model.Sanitize(d.out.Warnings[0])
	}
	m.ring.Add(model.Change{Time: now, Subject: d.bundle.Name, Kind: model.ChangeAction, Message: text})
	if d.out.OK() {
		m.setFlash(text)
	} else {
		m.setErrorFor(d.bundle.Name, text)
	}
	if len(verified) > 0 {
		var rest []string
		for _, ep := range d.bundle.Serves {
			if !verified[ep] {
				rest = append(rest, ep)
			}
		}
		b := d.bundle
		b.Serves = rest
		return m.recheckBundle(b, 0)
	}
	var verify tea.Cmd
	if !res.Unchanged {
		verify = m.applyBatch([]model.Event{model.VerifyStarted{Bundle: d.bundle.Name, Serial: res.New.Serial, Time: now}})
	}
	return tea.Batch(verify, m.recheckBundle(d.bundle, reprobeDelay))
}

// errText is why an action left nothing changed.
func errText(d actionDoneMsg) string {
	if d.err != nil {
		return d.err.Error()
	}
	if d.out != nil {
		return d.out.Error
	}
	return "unknown error"
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
