package rotate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"certdeck/model"
)

// reloadGroup is one configured reload and the endpoints it reloads:
// one nginx reload serves every site on that nginx.
type reloadGroup struct {
	reload    model.Reload
	bundle    model.Bundle // whose certificate it applies (HAProxy's payload)
	endpoints []string
}

// reloadConcurrency bounds the reloads run at once (one per server).
const reloadConcurrency = 8

// groupReloads sorts endpoints of bundle b by the reload that makes each
// pick up b's certificate (its own reload:, else b's); without lists
// those with none (a Go server on rotate.Reloader needs none).
func (e *Engine) groupReloads(b model.Bundle, endpoints []string) (groups []reloadGroup, without []string, err error) {
	index := map[string]int{}
	for _, name := range endpoints {
		ep, ok := e.fleet.EndpointByName(name)
		if !ok {
			return nil, nil, fmt.Errorf("bundle %s serves %s, which is not a configured endpoint", b.Name, name)
		}
		rn := model.ReloadFor(ep, b)
		if rn == "" {
			without = append(without, name)
			continue
		}
		rl, ok := e.fleet.ReloadByName(rn)
		if !ok {
			return nil, nil, fmt.Errorf("endpoint %s: reload %q is not configured", name, rn)
		}
		i, seen := index[rn]
		if !seen {
			i = len(groups)
			index[rn] = i
			groups = append(groups, reloadGroup{reload: rl, bundle: b})
		}
		groups[i].endpoints = append(groups[i].endpoints, name)
	}
	return groups, without, nil
}

// newReload builds the runnable reload of g: the configured kind
// (NewReload), or what EngineOptions.MakeReload makes of it.
func (e *Engine) newReload(g reloadGroup) (Reload, error) {
	if e.opt.MakeReload != nil {
		return e.opt.MakeReload(g.reload, bundlePayload(g.bundle))
	}
	return NewReload(g.reload, ReloadEnv{Payload: bundlePayload(g.bundle), LocalCrtWrite: localHAProxy(g.reload)})
}

// localHAProxy reports whether a haproxy reload talks to an HAProxy on
// this machine (a unix socket, or a loopback address), whose crt file
// certdeck then also replaces on disk so that a restart keeps the swap.
func localHAProxy(r model.Reload) bool {
	if r.Kind != model.ReloadHAProxy {
		return false
	}
	if !r.HAProxy.IsTCPSocket() {
		return true
	}
	host, _, _ := net.SplitHostPort(r.HAProxy.Socket)
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// CheckReloads builds every configured reload of f once, so what the
// reload kinds refuse without touching a server (a relative pidfile, an
// argv the remote shell cannot be given safely, an unreadable https ca:)
// is a configuration error naming the reload and its line, before any
// action runs.
func CheckReloads(f *model.Fleet) error {
	for _, r := range f.Reloads {
		if _, err := NewReload(r, ReloadEnv{Payload: func(context.Context) ([]byte, error) { return nil, errors.New("not applying") }}); err != nil {
			return err
		}
	}
	return nil
}

// reloadSteps is what the groups' reloads would run, for plans.
func (e *Engine) reloadSteps(groups []reloadGroup) ([]Step, error) {
	var steps []Step
	for _, g := range groups {
		rl, err := e.newReload(g)
		if err != nil {
			return nil, err
		}
		steps = append(steps, rl.Steps()...)
	}
	return steps, nil
}

// runReloads runs the groups' reloads (up to reloadConcurrency at once)
// into leg, and returns the endpoints whose reload failed, with why.
func (r *run) runReloads(ctx context.Context, groups []reloadGroup, leg *Leg) map[string]string {
	runs := make([]ReloadRun, len(groups))
	sem := make(chan struct{}, reloadConcurrency)
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			runs[i] = r.runReload(ctx, g)
		})
	}
	wg.Wait()
	failed := map[string]string{}
	for _, run := range runs {
		r.steps = append(r.steps, run.Steps...)
		if !run.OK {
			for _, ep := range run.Endpoints {
				failed[ep] = fmt.Sprintf("reload %s failed", run.Name)
			}
		}
	}
	leg.Reloads = append(leg.Reloads, runs...)
	return failed
}

func (r *run) runReload(ctx context.Context, g reloadGroup) ReloadRun {
	run := ReloadRun{Name: g.reload.Name, Kind: g.reload.Kind, Endpoints: slices.Clone(g.endpoints), ExitCode: -1}
	rl, err := r.e.newReload(g)
	if err != nil {
		run.Error = err.Error()
		r.report(Progress{Target: g.reload.Name, Phase: PhaseFailed, Message: run.Error})
		return run
	}
	run.Steps = rl.Steps()
	r.report(Progress{Target: g.reload.Name, Phase: PhaseRunning, Message: "reload " + g.reload.Name})
	res := rl.Run(ctx)
	run.OK, run.ExitCode, run.Output, run.Duration = res.OK(), res.ExitCode, res.Output, res.Duration
	if res.Err != nil {
		run.Error = res.Err.Error()
		r.report(Progress{Target: g.reload.Name, Phase: PhaseFailed, Message: run.Describe()})
	} else {
		r.report(Progress{Target: g.reload.Name, Phase: PhaseVerified, Message: run.Describe()})
	}
	return run
}

// Describe is the reload's line: "reload web-nginx (exec): ok in 85ms",
// "reload lb (http): failed: …: <output tail>". Unsanitised.
func (rr ReloadRun) Describe() string {
	if rr.OK {
		return fmt.Sprintf("reload %s (%s): ok in %s", rr.Name, rr.Kind, formatTook(rr.Duration))
	}
	s := rr.failure()
	if out := strings.TrimSpace(rr.Output); out != "" && !strings.Contains(rr.Error, out) {
		s += ": " + out
	}
	return s
}

// failure is a failed reload without its output, as the outcome's error
// and the audit line say it: "reload lb (http): failed: HTTP 500".
func (rr ReloadRun) failure() string {
	return fmt.Sprintf("reload %s (%s): failed: %s", rr.Name, rr.Kind, rr.Error)
}

// headline is a failed reload as a result standing alone says it (the
// console's flash): a command's own words on stderr say why it failed
// ("reload nginx-c failed: nginx: [emerg] unknown directive …"), which
// its exit status does not; a reload with no such words (an HTTP status,
// a refused connection) is said by its error.
func (rr ReloadRun) headline() string {
	if rr.Kind == model.ReloadExec || rr.Kind == model.ReloadSSH {
		if w := serverWords(rr.Output); w != "" {
			return fmt.Sprintf("reload %s failed: %s", rr.Name, w)
		}
	}
	return rr.failure()
}

// bundlePayload is the PEM chain and key of bundle b as it is now, for a
// reload that installs the certificate itself (HAProxy's runtime API):
// a store's bundle.pem read through the consistent reader, or a
// single-file bundle's file. The bytes go to the reload and nowhere else.
func bundlePayload(b model.Bundle) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch b.Layout {
		case model.LayoutStore, model.LayoutAuto:
			v, err := Open(b.Path)
			if err == nil {
				defer v.Close()
				return v.ReadFile(BundleFile)
			}
			if b.Layout == model.LayoutStore {
				return nil, fmt.Errorf("bundle %s: %w", b.Name, err)
			}
			fallthrough
		case model.LayoutSingleFile:
			data, err := model.ReadRegularFile(b.Path, "bundle file", MaxFileSize)
			if err != nil {
				return nil, fmt.Errorf("bundle %s: %w", b.Name, err)
			}
			return data, nil
		}
		return nil, fmt.Errorf("bundle %s: layout %s holds no single key + chain file to install: use a store or single-file bundle", b.Name, b.Layout)
	}
}

// bundleSerial is the leaf serial bundle b holds now: what its endpoints
// should serve after a reload.
func (e *Engine) bundleSerial(b model.Bundle) (string, error) {
	if e.opt.BundleSerial != nil {
		return e.opt.BundleSerial(b)
	}
	if b.Layout != model.LayoutStore {
		return "", fmt.Errorf("bundle %s: cannot read the serial of a %s bundle here", b.Name, b.Layout)
	}
	cur, err := currentVersion(b.Path)
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", b.Name, err)
	}
	if cur == nil {
		return "", fmt.Errorf("bundle %s: no current version", b.Name)
	}
	return cur.meta.Serial, nil
}

// Reload resolves a name the CLI or the console's command line was
// given: "bundle/NAME" or "endpoint/NAME" say which; a bare NAME is the
// bundle or the endpoint of that name. When both exist the bundle wins if
// it serves the endpoint (reloading the bundle covers it); otherwise the
// name is ambiguous and the error says how to choose.
func (e *Engine) Reload(subject string) (Action, error) {
	if name, ok := strings.CutPrefix(subject, "bundle/"); ok {
		return e.ReloadBundle(name)
	}
	if name, ok := strings.CutPrefix(subject, "endpoint/"); ok {
		return e.ReloadEndpoints(name)
	}
	b, isBundle := e.fleet.BundleByName(subject)
	_, isEndpoint := e.fleet.EndpointByName(subject)
	switch {
	case isBundle && (!isEndpoint || slices.Contains(b.Serves, subject)):
		return e.ReloadBundle(subject)
	case isEndpoint && !isBundle:
		return e.ReloadEndpoints(subject)
	case isBundle:
		return nil, fmt.Errorf("reload %s: names both a bundle and an endpoint it does not serve: say bundle/%s or endpoint/%s", subject, subject, subject)
	}
	return nil, fmt.Errorf("reload %s: no bundle or endpoint of that name in the config", subject)
}

// ReloadBundle is the reload of every endpoint bundle name serves, each
// by its reload, then verification that each serves the bundle's current
// serial; with on_verify_fail: rollback, a verification that fails (after
// reloads that all succeeded) rolls the store back to its default
// rollback target (chooseRollback, as Rollback without a version),
// marks the version moved away from, reloads again and verifies the
// restored serial.
func (e *Engine) ReloadBundle(name string) (Action, error) {
	b, ok := e.fleet.BundleByName(name)
	if !ok {
		return nil, fmt.Errorf("reload %s: no bundle of that name in the config", name)
	}
	groups, without, err := e.groupReloads(b, b.Serves)
	if err != nil {
		return nil, fmt.Errorf("reload %s: %w", name, err)
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("reload %s: no reload configured for it or the endpoints it serves (set reload: on the bundle or an endpoint)", name)
	}
	claims := []string{bundleClaim(b.Name)}
	for _, ep := range b.Serves {
		claims = append(claims, endpointClaim(ep))
	}
	for _, g := range groups {
		claims = append(claims, reloadClaim(g.reload.Name))
	}
	a := &action{e: e, kind: KindReload, subject: b.Name, bundle: b.Name, claims: dedupe(claims)}
	a.plan = func(ctx context.Context) (Plan, error) {
		p := Plan{Kind: KindReload, Subject: b.Name, Bundle: b.Name, VerifyTimeout: e.timeoutOf(b)}
		if err := e.preflightReloads(groups); err != nil {
			return p, refusePlan(&p, KindReload, name, err)
		}
		steps, err := e.reloadSteps(groups)
		if err != nil {
			return p, fmt.Errorf("reload %s: %w", name, err)
		}
		p.Steps = steps
		serial, err := e.bundleSerial(b)
		if err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("cannot read what %s holds: %v", b.Name, err))
		}
		p.NewSerial = serial
		p.Verify = e.targets(b.Serves, func(string) string { return serial })
		if b.OnVerifyFail == model.OnVerifyFailRollback {
			p.OnVerifyFail = model.OnVerifyFailRollback
			if rp, err := e.planStoreRollback(ctx, b, ""); err == nil {
				p.RollbackTo, p.OldSerial, p.RollbackSkipped = rp.New.Name, rp.New.Serial, rp.Skipped
			} else {
				p.Warnings = append(p.Warnings, fmt.Sprintf("on_verify_fail: rollback cannot roll back: %v", err))
			}
		}
		p.Warnings = append(p.Warnings, e.noVerifierWarning(p.Verify)...)
		if len(without) > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s %s no reload: verified only", strings.Join(without, ", "), hasHave(len(without))))
		}
		return p, nil
	}
	a.run = func(ctx context.Context, r *run) error {
		out := r.out
		out.Forward.Kind = KindReload
		if err := e.preflightReloads(groups); err != nil {
			out.State = OutcomeRefused
			return err
		}
		want, err := e.bundleSerial(b)
		if err != nil {
			out.State = OutcomeFailed
			return err
		}
		out.Forward.Want = want
		// The version whose serial is wanted: a rollback moves away from
		// it only, never from one another writer has published since.
		var from string
		if b.OnVerifyFail == model.OnVerifyFailRollback {
			if store, sname, err := e.storeFor(b); err == nil {
				from = currentName(store.BundleDir(sname))
			}
		}
		failed := r.runReloads(ctx, groups, &out.Forward)
		targets := e.targets(b.Serves, func(string) string { return want })
		out.Forward.Verify = r.verify(ctx, targets, failed, e.timeoutOf(b))
		if len(failed) > 0 {
			out.State = OutcomeFailed
			return errors.New(firstReloadError(out.Forward))
		}
		if out.Forward.Verified() {
			return nil
		}
		if b.OnVerifyFail != model.OnVerifyFailRollback || ctx.Err() != nil {
			out.State = OutcomeUnverified
			return errors.New(notServed(out.Forward))
		}
		return r.rollBack(ctx, b, from, groups, targets)
	}
	return a, nil
}

// ReloadEndpoints reloads the named endpoints (each by its own reload:,
// else its bundle's; one reload shared by several runs once) and
// verifies each serves its bundle's current serial. No rollback: rolling
// a bundle back for one of its endpoints would leave the others behind.
func (e *Engine) ReloadEndpoints(names ...string) (Action, error) {
	if len(names) == 0 {
		return nil, errors.New("reload: no endpoint named")
	}
	var groups []reloadGroup
	index := map[string]int{}
	bundleOf := map[string]model.Bundle{}
	claims := []string{}
	for _, name := range names {
		ep, ok := e.fleet.EndpointByName(name)
		if !ok {
			return nil, fmt.Errorf("reload %s: no endpoint of that name in the config", name)
		}
		b, served := e.fleet.BundleServing(name)
		if served {
			bundleOf[name] = b
		}
		rn := model.ReloadFor(ep, b)
		if rn == "" {
			return nil, fmt.Errorf("reload %s: no reload configured for it or its bundle (set reload: on the endpoint or the bundle that serves it)", name)
		}
		rl, ok := e.fleet.ReloadByName(rn)
		if !ok {
			return nil, fmt.Errorf("reload %s: reload %q is not configured", name, rn)
		}
		i, seen := index[rn]
		if !seen {
			i = len(groups)
			index[rn] = i
			groups = append(groups, reloadGroup{reload: rl, bundle: b})
			claims = append(claims, reloadClaim(rn))
		}
		groups[i].endpoints = append(groups[i].endpoints, name)
		claims = append(claims, endpointClaim(name))
	}
	subject := strings.Join(names, ", ")
	a := &action{e: e, kind: KindReload, subject: subject, claims: dedupe(claims)}
	if len(names) == 1 {
		a.bundle = bundleOf[names[0]].Name
	}
	wants := func() (map[string]string, []string) {
		serials := map[string]string{}
		var problems []string
		for _, b := range bundleOf {
			if _, done := serials[b.Name]; done {
				continue
			}
			s, err := e.bundleSerial(b)
			if err != nil {
				problems = append(problems, err.Error())
			}
			serials[b.Name] = s
		}
		out := map[string]string{}
		for _, n := range names {
			if b, ok := bundleOf[n]; ok {
				out[n] = serials[b.Name]
			}
		}
		return out, problems
	}
	timeout := e.fleet.VerifyTimeout
	for _, b := range bundleOf {
		timeout = max(timeout, e.timeoutOf(b))
	}
	a.plan = func(ctx context.Context) (Plan, error) {
		p := Plan{Kind: KindReload, Subject: subject, Bundle: a.bundle, VerifyTimeout: e.verifyOptions(timeout).Timeout}
		if err := e.preflightReloads(groups); err != nil {
			return p, refusePlan(&p, KindReload, subject, err)
		}
		steps, err := e.reloadSteps(groups)
		if err != nil {
			return p, fmt.Errorf("reload %s: %w", subject, err)
		}
		p.Steps = steps
		want, problems := wants()
		p.Warnings = append(p.Warnings, problems...)
		p.Verify = e.targets(names, func(n string) string { return want[n] })
		if len(names) == 1 {
			p.NewSerial = want[names[0]]
		}
		for _, n := range names {
			if _, ok := bundleOf[n]; !ok {
				p.Warnings = append(p.Warnings, fmt.Sprintf("no bundle serves %s: verification only checks that it answers", n))
			}
		}
		p.Warnings = append(p.Warnings, e.noVerifierWarning(p.Verify)...)
		return p, nil
	}
	a.run = func(ctx context.Context, r *run) error {
		out := r.out
		out.Forward.Kind = KindReload
		if err := e.preflightReloads(groups); err != nil {
			out.State = OutcomeRefused
			return err
		}
		want, problems := wants()
		if len(problems) > 0 {
			out.State = OutcomeFailed
			return errors.New(problems[0])
		}
		if len(names) == 1 {
			out.Forward.Want = want[names[0]]
		}
		failed := r.runReloads(ctx, groups, &out.Forward)
		out.Forward.Verify = r.verify(ctx, e.targets(names, func(n string) string { return want[n] }), failed, timeout)
		switch {
		case len(failed) > 0:
			out.State = OutcomeFailed
			return errors.New(firstReloadError(out.Forward))
		case !out.Forward.Verified():
			out.State = OutcomeUnverified
			return errors.New(notServed(out.Forward))
		}
		return nil
	}
	return a, nil
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// targets are the verification targets for endpoints, each wanting
// want(name).
func (e *Engine) targets(endpoints []string, want func(string) string) []VerifyTarget {
	out := make([]VerifyTarget, 0, len(endpoints))
	for _, n := range endpoints {
		t := VerifyTarget{Endpoint: n, Want: want(n)}
		if ep, ok := e.fleet.EndpointByName(n); ok {
			t.Address = ep.Address
		}
		out = append(out, t)
	}
	return out
}

// timeoutOf is bundle b's verify_timeout, or the fleet's, or the default.
func (e *Engine) timeoutOf(b model.Bundle) time.Duration {
	switch {
	case b.VerifyTimeout > 0:
		return b.VerifyTimeout
	case e.fleet.VerifyTimeout > 0:
		return e.fleet.VerifyTimeout
	}
	return model.DefaultVerifyTimeout
}

func (e *Engine) noVerifierWarning(targets []VerifyTarget) []string {
	if len(targets) > 0 && e.opt.Verifier == nil {
		return []string{"no prober attached: the endpoints will not be verified"}
	}
	return nil
}

// firstReloadError is the failed reload for Outcome.Error, which the
// audit line keeps as its result: the reload's error, without its output
// (a server's output is not the audit log's to keep; Lines shows it).
func firstReloadError(l Leg) string {
	for _, r := range l.Reloads {
		if !r.OK {
			return r.failure()
		}
	}
	return "a reload failed"
}

// notServed says which endpoints did not verify, for Outcome.Error.
func notServed(l Leg) string {
	var parts []string
	for _, v := range l.Verify {
		if v.State != EndpointVerified {
			parts = append(parts, v.Describe())
		}
	}
	return "not verified: " + strings.Join(parts, "; ")
}
