package rotate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"certdeck/model"
)

// PublishRequest asks for a publish into a store bundle.
type PublishRequest struct {
	// Bundle names a configured bundle (layout store or auto), or, with
	// Store, the bundle of that name in the store directory Store (the
	// CLI's --store, with or without a config).
	Bundle string
	Store  string
	// Inputs loads what to publish; nil means the bundle's source:. Plan
	// and Run each call it: key bytes are never kept between the two.
	Inputs func() (Inputs, error)
	// AllowShorter and AllowNameChange are added to what Inputs says:
	// the console's "(y/N)" dialog flagged a shorter expiry, and y
	// confirmed it knowingly.
	AllowShorter, AllowNameChange bool
	// Reload runs the reloads of the endpoints the bundle serves after
	// the publish (P, rotate --reload).
	Reload bool
	// Verify probes the serving endpoints afterwards: all of them with
	// Reload; without, only those that need no reload (a Go server on
	// rotate.Reloader), as the others keep the old certificate until
	// reloaded. With on_verify_fail: rollback, a failed verification
	// rolls the publish back.
	Verify bool
}

// RollbackRequest asks for a rollback of a store bundle to Version ("":
// the default target, chooseRollback), optionally reloading and
// verifying as a publish does. A failed verification is reported, never
// rolled back.
type RollbackRequest struct {
	Bundle, Store, Version string
	Reload, Verify         bool
}

// PruneRequest asks for retention on a store bundle, keeping Keep
// versions (0: the engine's StoreOptions.Keep).
type PruneRequest struct {
	Bundle, Store string
	Keep          int
}

// storeBundle resolves the bundle a store action works on: a configured
// one, or the one in --store. A configured bundle named with a --store
// that holds it elsewhere is refused: the config's serves: and reload:
// would describe another certificate.
func (e *Engine) storeBundle(verb, name, storeDir string) (model.Bundle, bool, error) {
	cfg, configured := e.fleet.BundleByName(name)
	if storeDir == "" {
		if !configured {
			return model.Bundle{}, false, fmt.Errorf("%s %s: no bundle of that name in the config (give --store DIR)", verb, name)
		}
		if cfg.Layout != model.LayoutStore && cfg.Layout != model.LayoutAuto {
			return model.Bundle{}, false, fmt.Errorf("%s %s: a %s bundle: only certdeck's store can be published to or rolled back", verb, name, cfg.Layout)
		}
		return cfg, true, nil
	}
	// The whole NAME, before it becomes a path: filepath.Join cleans
	// "../x", "a/b" and "." into paths whose last element passes the name
	// rule, so checking only that element (BundleStore) would publish
	// outside --store, into a subdirectory of it, or into the store itself.
	if err := checkBundleName(name); err != nil {
		return model.Bundle{}, false, fmt.Errorf("%s: %w", verb, err)
	}
	path := filepath.Join(storeDir, name)
	if configured {
		if filepath.Clean(cfg.Path) != filepath.Clean(path) {
			return model.Bundle{}, false, fmt.Errorf("%s %s: the config's bundle %s lives at %s, not in --store %s", verb, name, name, cfg.Path, storeDir)
		}
		return cfg, true, nil
	}
	return model.Bundle{Name: name, Path: path, Layout: model.LayoutStore}, false, nil
}

// storeClaims are what a store action holds: the bundle, the endpoints
// it serves, and the reloads it runs.
func storeClaims(b model.Bundle, groups []reloadGroup) []string {
	claims := []string{bundleClaim(b.Name)}
	for _, ep := range b.Serves {
		claims = append(claims, endpointClaim(ep))
	}
	for _, g := range groups {
		claims = append(claims, reloadClaim(g.reload.Name))
	}
	return dedupe(claims)
}

// followUp is what a store action does after it swapped `current`: the
// reloads to run and the endpoints to verify.
type followUp struct {
	groups  []reloadGroup
	verify  []string
	skipped []string // endpoints left unverified because their reload is not run
}

// storeFollowUp resolves the store bundle a publish or rollback (verb)
// acts on and what follows it: the reloads to run and the endpoints to
// verify. A reload needs the bundle's config entry (its serves: and
// reload:), not just a --store path.
func (e *Engine) storeFollowUp(verb, name, storeDir string, reload, verify bool) (model.Bundle, followUp, error) {
	b, configured, err := e.storeBundle(verb, name, storeDir)
	if err != nil {
		return b, followUp{}, err
	}
	if reload && !configured {
		return b, followUp{}, fmt.Errorf("%s %s --reload: the bundle is not in the config, whose serves: and reload: say what to reload and verify (pass --config)", verb, b.Name)
	}
	fu, err := e.followUp(b, reload, verify)
	if err != nil {
		return b, followUp{}, fmt.Errorf("%s %s: %w", verb, b.Name, err)
	}
	return b, fu, nil
}

func (e *Engine) followUp(b model.Bundle, reload, verify bool) (followUp, error) {
	var f followUp
	if !reload && !verify {
		return f, nil
	}
	groups, without, err := e.groupReloads(b, b.Serves)
	if err != nil {
		return f, err
	}
	switch {
	case reload:
		f.groups = groups
		if verify {
			f.verify = b.Serves
		}
	case verify:
		f.verify = without
		for _, g := range groups {
			f.skipped = append(f.skipped, g.endpoints...)
		}
	}
	return f, nil
}

// warnings are the plan's words on what the follow-up leaves out.
func (f followUp) warnings(e *Engine, targets []VerifyTarget) []string {
	var w []string
	if len(f.skipped) > 0 {
		w = append(w, fmt.Sprintf("%s %s a reload this action does not run: %s the certificate that was current before it until reloaded (x, or certdeck reload NAME; P would publish again)",
			strings.Join(f.skipped, ", "), hasHave(len(f.skipped)), serveServes(len(f.skipped))))
	}
	return append(w, e.noVerifierWarning(targets)...)
}

func serveServes(n int) string {
	if n == 1 {
		return "it serves"
	}
	return "they serve"
}

// Publish is a publish into a store bundle, then (as asked) the reloads
// and verification of the endpoints it serves, and with on_verify_fail:
// rollback, the rollback of a publish that is not served.
func (e *Engine) Publish(req PublishRequest) (Action, error) {
	b, fu, err := e.storeFollowUp(KindPublish, req.Bundle, req.Store, req.Reload, req.Verify)
	if err != nil {
		return nil, err
	}
	load := func() (Inputs, error) {
		var in Inputs
		var err error
		if req.Inputs != nil {
			in, err = req.Inputs()
		} else {
			in, err = SourceInputs(b)
		}
		in.AllowShorter = in.AllowShorter || req.AllowShorter
		in.AllowNameChange = in.AllowNameChange || req.AllowNameChange
		return in, err
	}
	a := &action{e: e, kind: KindPublish, subject: b.Name, bundle: b.Name, claims: storeClaims(b, fu.groups)}
	a.plan = func(ctx context.Context) (Plan, error) {
		p := Plan{Kind: KindPublish, Subject: b.Name, Bundle: b.Name, VerifyTimeout: e.verifyOptions(e.timeoutOf(b)).Timeout}
		store, name, err := e.storeFor(b)
		if err != nil {
			return p, err
		}
		in, err := load()
		if err != nil {
			return p, fmt.Errorf("publish %s: %w", b.Name, err)
		}
		pp, err := store.Plan(ctx, name, in)
		if pp != nil {
			p.Publish, p.Refusal = pp, pp.Refusal
			p.NewVersion, p.NewSerial = pp.New.Name, pp.New.Serial
			if pp.Old != nil {
				p.OldVersion, p.OldSerial = pp.Old.Name, pp.Old.Serial
			}
			p.Steps = append(p.Steps, publishStep(store.BundleDir(name), pp))
			for _, t := range in.AlsoWrite {
				p.Steps = append(p.Steps, Step{Kind: "write", Target: t, Detail: "replace atomically with the key and full chain (bundle.pem), keeping owner, group and mode"})
			}
		}
		if err != nil {
			return p, err
		}
		if err := e.preflightReloads(fu.groups); err != nil {
			return p, refusePlan(&p, KindPublish, b.Name, err)
		}
		steps, err := e.reloadSteps(fu.groups)
		if err != nil {
			return p, fmt.Errorf("publish %s: %w", b.Name, err)
		}
		p.Steps = append(p.Steps, steps...)
		p.Verify = e.targets(fu.verify, func(string) string { return pp.New.Serial })
		if b.OnVerifyFail == model.OnVerifyFailRollback && len(p.Verify) > 0 && !pp.Unchanged && pp.Old != nil {
			// The target the rollback would choose once this publish is
			// live: the same rule (chooseRollback) its run applies.
			p.OnVerifyFail, p.RollbackTo, p.RollbackSkipped = model.OnVerifyFailRollback, pp.RollbackTo, pp.RollbackSkipped
			if pp.RollbackTo == "" {
				p.Warnings = append(p.Warnings, "on_verify_fail: rollback has no version to roll back to (every older one was rolled back as not verified)")
			}
		}
		p.Warnings = append(p.Warnings, fu.warnings(e, p.Verify)...)
		return p, nil
	}
	a.run = func(ctx context.Context, r *run) error {
		out := r.out
		out.Forward.Kind = KindPublish
		store, name, err := e.storeFor(b)
		if err != nil {
			out.State = OutcomeFailed
			return err
		}
		in, err := load()
		if err != nil {
			out.State = OutcomeRefused
			return fmt.Errorf("publish %s: %w", b.Name, err)
		}
		if err := e.preflightReloads(fu.groups); err != nil {
			out.State = OutcomeRefused
			return err
		}
		r.report(Progress{Target: store.BundleDir(name), Phase: PhaseRunning, Message: "publish " + b.Name})
		res, err := store.Publish(ctx, name, in)
		if err != nil {
			out.State = storeFailure(err)
			out.Forward.Error = err.Error()
			return err
		}
		out.Forward.Store, out.Forward.Want = res, res.New.Serial
		out.Warnings = append(out.Warnings, res.Warnings...)
		r.steps = append(r.steps, Step{Kind: KindPublish, Target: store.BundleDir(name), Detail: res.Describe()})
		targets := e.targets(fu.verify, func(string) string { return res.New.Serial })
		if len(targets) > 0 {
			// Tell the console what should be served before the first
			// verification probe lands, so rows read "verifying".
			r.report(Progress{Phase: PhaseVerifying, Total: len(targets), Message: "serial " + res.New.Serial})
		}
		failed := r.runReloads(ctx, fu.groups, &out.Forward)
		out.Forward.Verify = r.verify(ctx, targets, failed, e.timeoutOf(b))
		if len(failed) == 0 && out.Forward.Verified() {
			return nil
		}
		// A reload that failed and yet left the new serial served (seen
		// and confirmed by handshake) is not rolled back: verification
		// did not fail, and a rollback would undo a publish that works.
		served := len(out.Forward.Verify) > 0 && out.Forward.Verified()
		if b.OnVerifyFail == model.OnVerifyFailRollback && !served && !res.Unchanged && res.Old != nil && ctx.Err() == nil {
			return r.rollBack(ctx, b, res.New.Name, fu.groups, targets)
		}
		if len(failed) > 0 {
			out.State = OutcomeFailed
			return fmt.Errorf("%s is current, but %s", res.New.Name, firstReloadError(out.Forward))
		}
		out.State = OutcomeUnverified
		return fmt.Errorf("%s is current, but %s", res.New.Name, notServed(out.Forward))
	}
	return a, nil
}

// storeFailure is the state of a store change that did not happen.
func storeFailure(err error) string {
	if _, refused := IsRefusal(err); refused || errors.Is(err, ErrReadOnly) {
		return OutcomeRefused
	}
	return OutcomeFailed
}

// publishStep describes the store change of pp in dir.
func publishStep(dir string, pp *PublishPlan) Step {
	if pp.Unchanged {
		return Step{Kind: KindPublish, Target: dir, Detail: fmt.Sprintf("already current %s (identical certificate and key): no new version", pp.New.Name)}
	}
	old := "(none)"
	if pp.Old != nil {
		old = pp.Old.Name
	}
	return Step{Kind: KindPublish, Target: dir, Detail: fmt.Sprintf("write %s (%s %s %s, %s and %s 0600, %s) and swap current %s → %s",
		pp.New.Name, CertFile, ChainFile, FullchainFile, KeyFile, BundleFile, MetaFile, old, pp.New.Name)}
}

// Rollback is a rollback of a store bundle, with the reloads and
// verification asked for.
func (e *Engine) Rollback(req RollbackRequest) (Action, error) {
	b, fu, err := e.storeFollowUp(KindRollback, req.Bundle, req.Store, req.Reload, req.Verify)
	if err != nil {
		return nil, err
	}
	a := &action{e: e, kind: KindRollback, subject: b.Name, bundle: b.Name, claims: storeClaims(b, fu.groups)}
	a.plan = func(ctx context.Context) (Plan, error) {
		p := Plan{Kind: KindRollback, Subject: b.Name, Bundle: b.Name, VerifyTimeout: e.verifyOptions(e.timeoutOf(b)).Timeout}
		rp, err := e.planStoreRollback(ctx, b, req.Version)
		if rp != nil {
			p.Rollback, p.Refusal = rp, rp.Refusal
			p.NewVersion, p.NewSerial = rp.New.Name, rp.New.Serial
			old := "(none)"
			if rp.Old != nil {
				p.OldVersion, p.OldSerial, old = rp.Old.Name, rp.Old.Serial, rp.Old.Name
			}
			p.Steps = append(p.Steps, Step{Kind: KindRollback, Target: b.Path, Detail: rollbackDetail(old, rp)})
			if rp.WasRolledBack != "" {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s was %s; named, it is made current all the same (and its mark cleared)", rp.New.Name, rp.WasRolledBack))
			}
		}
		if err != nil {
			return p, err
		}
		if err := e.preflightReloads(fu.groups); err != nil {
			return p, refusePlan(&p, KindRollback, b.Name, err)
		}
		steps, err := e.reloadSteps(fu.groups)
		if err != nil {
			return p, fmt.Errorf("rollback %s: %w", b.Name, err)
		}
		p.Steps = append(p.Steps, steps...)
		p.Verify = e.targets(fu.verify, func(string) string { return rp.New.Serial })
		p.Warnings = append(p.Warnings, fu.warnings(e, p.Verify)...)
		return p, nil
	}
	a.run = func(ctx context.Context, r *run) error {
		out := r.out
		out.Forward.Kind = KindRollback
		store, name, err := e.storeFor(b)
		if err != nil {
			out.State = OutcomeFailed
			return err
		}
		if err := e.preflightReloads(fu.groups); err != nil {
			out.State = OutcomeRefused
			return err
		}
		r.report(Progress{Target: store.BundleDir(name), Phase: PhaseRunning, Message: "roll back " + b.Name})
		res, err := store.Rollback(ctx, name, req.Version)
		if err != nil {
			out.State = storeFailure(err)
			out.Forward.Error = err.Error()
			return err
		}
		out.Forward.Store, out.Forward.Want = res, res.New.Serial
		out.Warnings = append(out.Warnings, res.Warnings...)
		r.steps = append(r.steps, Step{Kind: KindRollback, Target: store.BundleDir(name), Detail: res.Describe()})
		failed := r.runReloads(ctx, fu.groups, &out.Forward)
		out.Forward.Verify = r.verify(ctx, e.targets(fu.verify, func(string) string { return res.New.Serial }), failed, e.timeoutOf(b))
		switch {
		case len(failed) > 0:
			out.State = OutcomeFailed
			return fmt.Errorf("%s is current, but %s", res.New.Name, firstReloadError(out.Forward))
		case !out.Forward.Verified():
			out.State = OutcomeUnverified
			return fmt.Errorf("%s is current, but %s", res.New.Name, notServed(out.Forward))
		}
		return nil
	}
	return a, nil
}

// rollbackDetail is the rollback step of a plan: the swap, and how a
// rollback without a version chose its target.
func rollbackDetail(old string, rp *RollbackPlan) string {
	d := fmt.Sprintf("swap current %s → %s", old, rp.New.Name)
	if rp.New.Name == "" {
		return d
	}
	why := rp.Chosen
	if len(rp.Skipped) > 0 {
		why += "; passed over " + strings.Join(rp.Skipped, ", ")
	}
	if why != "" {
		d += " (" + why + ")"
	}
	return d
}

func (e *Engine) planStoreRollback(ctx context.Context, b model.Bundle, version string) (*RollbackPlan, error) {
	store, name, err := e.storeFor(b)
	if err != nil {
		return nil, err
	}
	return store.PlanRollback(ctx, name, version)
}

// Prune is retention on a store bundle without a publish.
func (e *Engine) Prune(req PruneRequest) (Action, error) {
	b, _, err := e.storeBundle(KindPrune, req.Bundle, req.Store)
	if err != nil {
		return nil, err
	}
	open := func() (*Store, string, error) {
		store, name, err := e.storeFor(b)
		if err == nil && req.Keep > 0 {
			store.Keep = req.Keep
		}
		return store, name, err
	}
	a := &action{e: e, kind: KindPrune, subject: b.Name, bundle: b.Name, claims: []string{bundleClaim(b.Name)}}
	a.plan = func(ctx context.Context) (Plan, error) {
		p := Plan{Kind: KindPrune, Subject: b.Name, Bundle: b.Name}
		store, name, err := open()
		if err != nil {
			return p, err
		}
		pp, err := store.PlanPrune(ctx, name)
		if err != nil {
			return p, err
		}
		p.Prune = pp
		detail := "nothing to remove"
		if len(pp.Remove) > 0 {
			detail = "remove " + describeDecisions(pp.Versions, pp.Remove)
		}
		p.Steps = []Step{{Kind: KindPrune, Target: store.BundleDir(name), Detail: fmt.Sprintf("%s; keep %s", detail, describeDecisions(pp.Versions, pp.Keep))}}
		return p, nil
	}
	a.run = func(ctx context.Context, r *run) error {
		r.out.Forward.Kind = KindPrune
		store, name, err := open()
		if err != nil {
			r.out.State = OutcomeFailed
			return err
		}
		res, err := store.Prune(ctx, name)
		r.out.Forward.Pruned = res
		if res != nil {
			r.out.Warnings = append(r.out.Warnings, res.Warnings...)
			r.steps = append(r.steps, Step{Kind: KindPrune, Target: store.BundleDir(name), Detail: res.Describe()})
		}
		if err != nil {
			r.out.State = storeFailure(err)
			r.out.Forward.Error = err.Error()
		}
		return err
	}
	return a, nil
}
