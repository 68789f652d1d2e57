package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"certdeck/model"
	"certdeck/rotate"

	tea "charm.land/bubbletea/v2"
)

// x ("fix"), P and :reload: reloads and verification by handshake, run
// as rotate.Actions on the console's one engine. key → a Cmd that asks
// the engine for each action and its plan → one "(y/N)" dialog showing
// every plan's steps verbatim and old → new serial per endpoint → on y,
// one Cmd per action (progress through the relay; the rows and the
// header show it) → its outcome as a flash, events, and, for a rollback
// that did not verify, the alarm.

// fixRequest is one action the engine is asked for.
type fixRequest struct {
	kind    string // rotate.KindReload or rotate.KindPublish
	subject string // what it acts on, for messages
	// build asks the engine for the action; shorter says y confirmed a
	// publish that expires sooner than current.
	build func(e *rotate.Engine, shorter bool) (rotate.Action, error)
	// claims are what the action will hold in the engine's registry: a
	// key on a busy item is refused before any plan or dialog.
	claims []string
}

// fixPlan is one request planned: the action and its plan, or why not.
type fixPlan struct {
	req     fixRequest
	action  rotate.Action
	plan    rotate.Plan
	shorter bool
	err     error
}

// fixPlannedMsg carries the plans to the dialog.
type fixPlannedMsg struct {
	title string // the dialog's title
	verb  string // its button: "reload", "publish + reload"
	plans []fixPlan
	notes []string // what the batch left out, and why
}

// fixDoneMsg is one action's outcome.
type fixDoneMsg struct {
	req    fixRequest
	out    *rotate.Outcome
	err    error
	launch int // the launch it ends (launch.go)
}

// fix is x on a batch of endpoints and bundles: one reload of all the
// endpoints (the engine runs a shared reload once), one per bundle. A
// bundle no endpoint drifts from is left out and said so; :reload is
// there to reload one anyway.
func (m *Model) fix(items []any) tea.Cmd {
	var endpoints []string
	var reqs []fixRequest
	var notes []string
	for _, it := range items {
		switch it := it.(type) {
		case *model.EndpointState:
			endpoints = append(endpoints, it.Endpoint.Name)
		case *model.BundleState:
			name := it.Bundle.Name
			claims := bundleClaims(m.opts.Fleet, it.Bundle, true)
			// A bundle an action is verifying drifts from nothing yet:
			// say it is busy, not that there is nothing to fix.
			if m.refuseBusy(rotate.KindReload+" "+name, claims) {
				return nil
			}
			if drifted(it) == 0 {
				notes = append(notes, fmt.Sprintf("%s: no endpoint drifts from it (:reload %s reloads it anyway)", name, name))
				continue
			}
			reqs = append(reqs, fixRequest{kind: rotate.KindReload, subject: name, claims: claims,
				build: func(e *rotate.Engine, _ bool) (rotate.Action, error) { return e.ReloadBundle(name) }})
		}
	}
	if len(endpoints) > 1 {
		// The engine refuses a batch at its first endpoint without a
		// reload; the console names them all, and runs the others.
		var without []string
		endpoints, without = m.splitReloadable(endpoints)
		switch {
		case len(endpoints) == 0:
			m.setError(fmt.Sprintf("%d marked have no reload configured: %s (set reload: on each endpoint or the bundle that serves it)",
				len(without), listNames(cleanAll(without), 4)))
			return nil
		case len(without) > 0:
			notes = append(notes, fmt.Sprintf("%d with no reload configured: %s", len(without), listNames(without, 4)))
		}
	}
	if len(endpoints) > 0 {
		names := endpoints
		var claims []string
		for _, name := range names {
			claims = append(claims, endpointClaims(m.opts.Fleet, name)...)
		}
		reqs = append(reqs, fixRequest{kind: rotate.KindReload, subject: strings.Join(names, ", "), claims: claims,
			build: func(e *rotate.Engine, _ bool) (rotate.Action, error) { return e.ReloadEndpoints(names...) }})
	}
	if len(reqs) == 0 {
		if len(notes) == 1 {
			// The note says why (its end may be cut): the log keeps it whole.
			m.setFlash("nothing to fix: " + clean(notes[0]))
			m.logFlash("", model.ChangeAction, m.flash)
		} else {
			m.setFlash(fmt.Sprintf("nothing to fix: no endpoint drifts from the %d marked bundles", len(notes)))
		}
		return nil
	}
	return m.planFix("Fix: reload, then verify by handshake", "reload", reqs, notes)
}

// splitReloadable parts endpoint names into those a reload is
// configured for (their own or their bundle's) and those without one.
func (m *Model) splitReloadable(names []string) (reloadable, without []string) {
	for _, name := range names {
		ep, ok := m.opts.Fleet.EndpointByName(name)
		b, _ := m.opts.Fleet.BundleServing(name)
		if ok && model.ReloadFor(ep, b) == "" {
			without = append(without, name)
			continue
		}
		reloadable = append(reloadable, name)
	}
	return reloadable, without
}

func cleanAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = clean(n)
	}
	return out
}

// reloadNames is :reload NAME…: each name resolved by the engine as the
// CLI's `certdeck reload` does (bundle/NAME and endpoint/NAME choose).
func (m *Model) reloadNames(names []string) tea.Cmd {
	reqs := make([]fixRequest, len(names))
	for i, name := range names {
		reqs[i] = fixRequest{kind: rotate.KindReload, subject: name, claims: subjectClaims(m.opts.Fleet, name),
			build: func(e *rotate.Engine, _ bool) (rotate.Action, error) { return e.Reload(name) }}
	}
	return m.planFix("Reload, then verify by handshake", "reload", reqs, nil)
}

// publishReload is P: publish from source:, run the reloads of the
// endpoints the bundle serves, verify them (rolling back when the
// bundle says on_verify_fail: rollback).
func (m *Model) publishReload(bs *model.BundleState) tea.Cmd {
	if bs == nil {
		m.setFlash("P works on a bundle: tab to the Bundles section")
		return nil
	}
	name := bs.Bundle.Name
	switch {
	case !isStoreBundle(bs):
		m.setFlash(fmt.Sprintf("P: %s is not a store-layout bundle", clean(name)))
		return nil
	case bs.Bundle.Source == "":
		m.setErrorFor(name, fmt.Sprintf("P %s: no source: configured to publish from", clean(name)))
		return nil
	}
	req := fixRequest{kind: rotate.KindPublish, subject: name, claims: bundleClaims(m.opts.Fleet, bs.Bundle, true),
		build: func(e *rotate.Engine, shorter bool) (rotate.Action, error) {
			return e.Publish(rotate.PublishRequest{Bundle: name, AllowShorter: shorter, Reload: true, Verify: true})
		}}
	return m.planFix("Publish, reload, then verify by handshake", "publish + reload", []fixRequest{req}, nil)
}

// planFix returns the Cmd that plans every request (plans read the
// store and the source: I/O, so never in Update).
func (m *Model) planFix(title, verb string, reqs []fixRequest, notes []string) tea.Cmd {
	if m.refuseBusyRequests(reqs) {
		return nil
	}
	subjects := make([]string, len(reqs))
	for i, r := range reqs {
		subjects[i] = clean(r.subject)
	}
	m.setFlash(fmt.Sprintf("planning %s of %s…", verb, listNames(subjects, 3)))
	e, done, stop := m.opts.Engine, m.opts.Done, m.stop
	return func() tea.Msg {
		ctx, cancel := actionContext(done, stop)
		defer cancel()
		msg := fixPlannedMsg{title: title, verb: verb, notes: notes}
		for _, r := range reqs {
			msg.plans = append(msg.plans, planOne(ctx, e, r))
		}
		return msg
	}
}

// refuseBusyRequests is refuseBusy over every request: one busy item
// refuses the key (the batch runs together or not at all).
func (m *Model) refuseBusyRequests(reqs []fixRequest) bool {
	for _, r := range reqs {
		if m.refuseBusy(r.kind+" "+r.subject, r.claims) {
			return true
		}
	}
	return false
}

// planOne asks the engine for one action and its plan. A publish is
// planned allowing a sooner expiry, so the dialog can flag it (y then
// confirms it knowingly), as p does.
func planOne(ctx context.Context, e *rotate.Engine, r fixRequest) fixPlan {
	p := fixPlan{req: r}
	if p.action, p.err = r.build(e, true); p.err != nil {
		return p
	}
	p.plan, p.err = p.action.Plan(ctx)
	if p.err == nil && p.plan.Publish != nil && p.plan.Publish.ExpiresSooner {
		p.shorter = true
	}
	return p
}

// onFixPlanned opens the dialog, or says why there is nothing to run.
func (m *Model) onFixPlanned(msg fixPlannedMsg) {
	var ok []fixPlan
	reqs := make([]fixRequest, len(msg.plans))
	for i, p := range msg.plans {
		reqs[i] = p.req
		if p.err == nil {
			ok = append(ok, p)
		}
	}
	if m.refuseBusyRequests(reqs) {
		return // an action began on one of them while this was planned
	}
	if len(ok) == 0 {
		p := msg.plans[0]
		text := model.Sanitize(p.err.Error())
		if len(msg.plans) > 1 {
			text += fmt.Sprintf(" (and %d more that cannot run)", len(msg.plans)-1)
		}
		m.setErrorFor(p.req.subject, text)
		return
	}
	m.openConfirm(&confirmDialog{lines: m.fixLines(msg), verb: msg.verb, yes: func(m *Model) tea.Cmd { return m.runFix(msg.verb, ok) }})
}

// fixLines is the dialog: each plan's heading, what each endpoint serves
// now → what it should serve, the steps exactly as the engine will run
// them, the verification and what a failure does; then what cannot run.
func (m *Model) fixLines(msg fixPlannedMsg) []string {
	lines := []string{msg.title}
	for _, p := range msg.plans {
		if p.err != nil {
			continue
		}
		all := p.plan.Lines()
		lines = append(lines, all[0])
		if pp := p.plan.Publish; pp != nil {
			if flag := soonerFlag(pp.Old, pp.New); flag != "" {
				lines = append(lines, "  "+flag)
			}
		}
		for _, t := range p.plan.Verify {
			if p.req.kind == rotate.KindTicketRotate {
				lines = append(lines, "  "+m.ticketLine(t))
				continue
			}
			lines = append(lines, "  "+m.servedLine(t))
			if flag := m.downgradeFlag(p.plan.Bundle, t); flag != "" {
				lines = append(lines, "  "+flag)
			}
		}
		// The steps as plan_steps.go says them, then the rest of the
		// plan's lines (verification, what a failure does, warnings).
		rest := all[1:]
		if steps := p.plan.Steps; len(rest) >= len(steps) {
			for i, o := range stepOwners(steps, m.planReloads(p.plan)) {
				lines = append(lines, "  "+stepLine(steps[i], o))
			}
			rest = rest[len(steps):]
		}
		lines = append(lines, rest...)
	}
	for _, p := range msg.plans {
		if p.err != nil {
			lines = append(lines, "✗ cannot "+p.err.Error())
		}
	}
	for _, n := range msg.notes {
		lines = append(lines, "· left out: "+n)
	}
	return lines
}

// servedLine is "serial    web2: …03a4 → …9f10": what the endpoint served
// at its last probe and what it should serve after the action.
func (m *Model) servedLine(t rotate.VerifyTarget) string {
	now := "unknown"
	if es := m.state.Endpoint(t.Endpoint); es != nil {
		if leaf := servedLeaf(es); leaf != nil {
			now = leaf.Serial
		}
	}
	want := t.Want
	switch {
	case want == "":
		want = "any certificate (no bundle serves it)"
	case want == now:
		want += " (already)"
	}
	return fmt.Sprintf("%-9s %s: %s → %s", "serial", t.Endpoint, now, want)
}

// downgradeFlag is the "▲ WARN" line of a step that makes endpoint t
// serve an older certificate than it serves now (its bundle on disk is
// behind it: "serves a newer certificate … bundle web on disk is
// behind"), as p, P and b flag a version that expires sooner; "" when
// the endpoint serves no newer certificate, or the bundle holding the
// serial it should serve is not known here (P's new version is flagged
// against current by soonerFlag).
func (m *Model) downgradeFlag(bundle string, t rotate.VerifyTarget) string {
	es := m.state.Endpoint(t.Endpoint)
	if es == nil || t.Want == "" {
		return ""
	}
	served := servedLeaf(es)
	var want *model.CertInfo
	var holder string
	candidates := m.state.BundlesServing(t.Endpoint)
	if bs := m.state.Bundle(bundle); bs != nil {
		candidates = append([]*model.BundleState{bs}, candidates...)
	}
	for _, bs := range candidates {
		if l := bs.Leaf(); l != nil && l.Serial == t.Want {
			want, holder = l, bs.Bundle.Name
			break
		}
	}
	if served == nil || want == nil || served.Serial == want.Serial {
		return ""
	}
	head := fmt.Sprintf("%s %s serves a newer certificate than bundle %s holds (bundle %s on disk is behind): the reload makes it serve",
		statusLabel(model.Warn), t.Endpoint, holder, holder)
	switch {
	case served.NotAfter.After(want.NotAfter):
		return fmt.Sprintf("%s one that expires %s sooner (%s, not %s)", head,
			soonerBy(served.NotAfter, want.NotAfter), want.NotAfter.Format(time.DateOnly), served.NotAfter.Format(time.DateOnly))
	case served.NotBefore.After(want.NotBefore):
		return fmt.Sprintf("%s an older certificate (issued %s, not %s)", head,
			want.NotBefore.Format(time.DateOnly), served.NotBefore.Format(time.DateOnly))
	}
	return ""
}

// runFix is y: one Cmd per action, each under a context that ends with
// the console.
func (m *Model) runFix(verb string, plans []fixPlan) tea.Cmd {
	subjects := make([]string, len(plans))
	cmds := make([]tea.Cmd, len(plans))
	e, done, stop := m.opts.Engine, m.opts.Done, m.stop
	for i, p := range plans {
		subjects[i] = clean(p.req.subject)
		report := m.progress.reporter(p.req.kind)
		id := m.startLaunch(launch{kind: p.req.kind, subject: p.req.subject, bundle: p.plan.Bundle,
			oldVersion: p.plan.OldVersion, newVersion: p.plan.NewVersion, claims: p.req.claims, since: m.ctx.Now()})
		cmds[i] = func() tea.Msg {
			ctx, cancel := actionContext(done, stop)
			defer cancel()
			a := p.action
			if p.req.kind == rotate.KindPublish {
				// Planned allowing a sooner expiry; run allowing it only
				// when the dialog flagged it, so y confirmed what was shown.
				var err error
				if a, err = p.req.build(e, p.shorter); err != nil {
					return fixDoneMsg{req: p.req, err: err, launch: id}
				}
			}
			out, err := a.Run(ctx, report)
			return fixDoneMsg{req: p.req, out: out, err: err, launch: id}
		}
	}
	m.setFlash(fmt.Sprintf("%s of %s running…", verb, listNames(subjects, 3)))
	// From now on the rows it verifies read "verifying", not drift: a
	// publish's new version reaches the watcher before its reload has run,
	// and that is no news for the event log.
	verifying := m.applyBatch(verifyStarts(m.state, plans, m.ctx.Now()))
	return tea.Batch(append(cmds, verifying)...)
}

// verifyStarts is a VerifyStarted for every bundle whose endpoints the
// plans verify: the plan's own bundle (all it serves), or those serving
// the endpoints it reloads (just those: web1's reload proves nothing of
// web2, whose drift must stay on screen).
func verifyStarts(s *model.State, plans []fixPlan, now time.Time) []model.Event {
	type pending struct {
		serial    string
		all       bool
		endpoints []string
	}
	var order []string
	byBundle := map[string]*pending{}
	add := func(bundle, serial, endpoint string) {
		if bundle == "" {
			return
		}
		p := byBundle[bundle]
		if p == nil {
			p = &pending{serial: serial}
			byBundle[bundle] = p
			order = append(order, bundle)
		}
		if endpoint == "" {
			p.all = true
		} else if !slices.Contains(p.endpoints, endpoint) {
			p.endpoints = append(p.endpoints, endpoint)
		}
	}
	for _, p := range plans {
		if p.err != nil || p.action == nil {
			continue
		}
		if p.plan.Kind != rotate.KindReload {
			// A store action changes what every serving endpoint
			// should present; a reload only what it verifies.
			add(p.plan.Bundle, p.plan.NewSerial, "")
		}
		for _, t := range p.plan.Verify {
			for _, bs := range s.BundlesServing(t.Endpoint) {
				add(bs.Bundle.Name, t.Want, t.Endpoint)
			}
		}
	}
	out := make([]model.Event, 0, len(order))
	for _, b := range order {
		p := byBundle[b]
		v := model.VerifyStarted{Bundle: b, Serial: p.serial, Time: now}
		if !p.all {
			v.Endpoints = p.endpoints
		}
		out = append(out, v)
	}
	return out
}

// onFixDone lands one outcome: a flash (an error one unless every
// endpoint verified), the outcome's lines in the event log (what ran,
// each endpoint's verification, the rollback leg), and for a rollback
// that did not verify, the alarm. The verification probes went through
// the scheduler, so the rows already show what they saw; a publish also
// re-reads its bundle.
func (m *Model) onFixDone(d fixDoneMsg) tea.Cmd {
	out := d.out
	var steps []stampedStep
	if out != nil {
		steps = m.takeStepsOf(actionKey(out.Kind, out.Subject))
		m.progress.forget(actionKey(out.Kind, out.Subject))
	}
	m.refreshActions()
	now := m.ctx.Now()
	if out == nil {
		text := fmt.Sprintf("%s %s failed: %s", d.req.kind, clean(d.req.subject), clean(inWords(d.err.Error())))
		m.setErrorFor(d.req.subject, text)
		return nil
	}
	byYou := m.ctx.Actions.takeCancelled(actionKey(out.Kind, out.Subject)) || m.quitting != nil
	result := out.Kind + " " + out.Subject + ": " + outcomeResult(out, byYou)
	for _, c := range timedLines(out, resultLines(out, byYou), steps, out.Subject, now) {
		m.ring.Add(c)
	}
	summary := model.Sanitize(result)
	switch out.State {
	case rotate.OutcomeOK:
		m.setFlash(summary)
	case rotate.OutcomeRollbackFailed:
		m.raiseAlarm(out.Subject, summary)
		m.setErrorFor(out.Subject, summary)
	default:
		m.setErrorFor(out.Subject, summary)
	}
	if out.Forward.Store != nil && out.Bundle != "" {
		if b, ok := m.opts.Fleet.BundleByName(out.Bundle); ok {
			b.Serves = nil // verified, or reported: re-read the bundle only
			return m.recheckBundle(b, 0)
		}
	}
	return nil
}

// resultLines are out's lines in the console's words: Go's error texts
// said in words, and its summary replaced by the flash's result, who
// cancelled it and what to do now included. Unsanitised.
func resultLines(out *rotate.Outcome, byYou bool) []string {
	result := out.Kind + " " + out.Subject + ": " + outcomeResult(out, byYou)
	var lines []string
	for _, l := range out.Lines() {
		if l == out.Summary() {
			l = result
		}
		lines = append(lines, inWords(l))
	}
	return lines
}

// goErrorWords are the words for Go's own error texts, which reach an
// outcome quoted ("verification cancelled: context canceled"): an
// operator reads what happened, not the library's name for it.
var goErrorWords = strings.NewReplacer(
	"cancelled: context canceled", "cancelled",
	"context canceled", "cancelled",
	"context deadline exceeded", "timed out",
)

// inWords is s with Go's error texts said in words.
func inWords(s string) string { return goErrorWords.Replace(s) }

// outcomeResult is out.Result() as the console says it: in words, and
// for a cancelled action, who cancelled it (byYou: :cancel did) and what
// to do now (what was published is current but not verified: b rolls it
// back).
func outcomeResult(out *rotate.Outcome, byYou bool) string {
	if out.State != rotate.OutcomeCancelled {
		return inWords(out.Result())
	}
	s := "cancelled"
	if byYou {
		s += " by you"
	}
	if d := cancelledVerification(out); d != "" {
		s += ": " + d
	} else if out.Error != "" {
		s += ": " + inWords(out.Error)
	}
	return s + "; " + nextStep(out)
}

// cancelledVerification is where a store change cancelled while its
// endpoints were verified stands, short enough that the flash keeps
// what to do at its end: "v0005 is current, 0/1 verified
// (legacy.demo.test last served 7ec6…)"; "" for anything else.
func cancelledVerification(out *rotate.Outcome) string {
	st := out.Forward.Store
	if st == nil || st.Unchanged || out.Back != nil || len(out.Forward.Verify) == 0 {
		return ""
	}
	var verified int
	var open []string
	for _, v := range out.Forward.Verify {
		switch {
		case v.State == rotate.EndpointVerified:
			verified++
		case v.Serial != "":
			open = append(open, v.Endpoint+" last served "+v.Serial)
		default:
			open = append(open, v.Endpoint+" not answered yet")
		}
	}
	return fmt.Sprintf("%s is current, %d/%d verified (%s)", st.New.Name, verified, len(out.Forward.Verify), listNames(open, 2))
}

// nextStep is what to do after a cancelled action, by what it left.
func nextStep(out *rotate.Outcome) string {
	st := out.Forward.Store
	changed := st != nil && !st.Unchanged && st.Old != nil
	switch {
	case out.Back != nil:
		return "what is served is not known: R re-probes every endpoint"
	case changed && out.Kind == rotate.KindPublish:
		return "b rolls back to " + st.Old.Name
	case changed && out.Kind == rotate.KindRollback:
		return fmt.Sprintf(":rollback %s %s returns to %s", out.Bundle, st.Old.Name, st.Old.Name)
	case st == nil && (out.Kind == rotate.KindPublish || out.Kind == rotate.KindRollback):
		return out.Bundle + " is unchanged"
	case out.Kind == rotate.KindReload:
		return "r re-probes to show what is served; x runs the reload again"
	}
	return "r re-probes to show what is served"
}
