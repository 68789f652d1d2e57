package rotate

import (
	"context"
	"errors"
	"fmt"

	"certdeck/model"
)

// rollBack is the automatic rollback after a failed verification
// (on_verify_fail: rollback): roll the store back from version from (the
// one that was not served; "": whatever is current) to the default
// target, marking from as rolled back (Store.RollbackUnverified), run
// the same reloads again, and verify that the endpoints serve the
// restored serial. Its failure is the loudest outcome there is, so it is
// reported only when a handshake shows the restored serial is not
// served, or cannot show anything: every endpoint is verified even when
// its reload failed, since a server whose reload fails (a config typo)
// keeps serving what it served, which after a publish that was not
// served is exactly the version rolled back to.
func (r *run) rollBack(ctx context.Context, b model.Bundle, from string, groups []reloadGroup, targets []VerifyTarget) error {
	out := r.out
	forward := notServed(out.Forward)
	if out.Forward.reloadFailed() {
		forward = firstReloadError(out.Forward)
	}
	out.Back = &Leg{Kind: KindRollback}
	r.report(Progress{Phase: PhaseRollingBack, Message: forward + ": rolling " + b.Name + " back"})
	fail := func(err error) error {
		out.State = OutcomeRollbackFailed
		out.Back.Error = err.Error()
		return fmt.Errorf("%s; ROLLBACK FAILED: %w", forward, err)
	}
	store, name, err := r.e.storeFor(b)
	if err != nil {
		return fail(err)
	}
	res, err := store.RollbackUnverified(ctx, name, from)
	if err != nil {
		return fail(err)
	}
	out.Back.Store, out.Back.Want = res, res.New.Serial
	out.Warnings = append(out.Warnings, res.Warnings...)
	r.steps = append(r.steps, Step{Kind: KindRollback, Target: store.BundleDir(name), Detail: res.Describe()})
	failed := r.runReloads(ctx, groups, out.Back)
	back := make([]VerifyTarget, len(targets))
	for i, t := range targets {
		t.Want = res.New.Serial
		back[i] = t
	}
	out.Back.Verify = r.verify(ctx, back, nil, r.e.timeoutOf(b))
	reloads := ""
	if len(failed) > 0 {
		reloads = backReloadFailure(out.Forward, *out.Back)
	}
	switch {
	case len(failed) > 0 && len(out.Back.Verify) == 0:
		// Nothing was probed (no verifier): nothing says what is served.
		return fail(errors.New(reloads))
	case !out.Back.Verified() && reloads != "":
		return fail(fmt.Errorf("%s; %s", reloads, notServed(*out.Back)))
	case !out.Back.Verified():
		return fail(errors.New(notServed(*out.Back)))
	}
	out.State = OutcomeRolledBack
	if reloads != "" {
		return fmt.Errorf("%s; rolled back to %s (serial %s), which is served (verified), though %s", forward, res.New.Name, res.New.Serial, reloads)
	}
	return fmt.Errorf("%s; rolled back to %s (serial %s), which is served again", forward, res.New.Name, res.New.Serial)
}

// backReloadFailure says how the rollback's reloads failed, once: a
// reload that failed the same way in the forward leg (nginx refusing
// the same broken config twice) has been said already.
func backReloadFailure(forward, back Leg) string {
	said := map[string]bool{}
	for _, r := range forward.Reloads {
		if !r.OK {
			said[r.failure()] = true
		}
	}
	failed := 0
	for _, r := range back.Reloads {
		if r.OK {
			continue
		}
		if !said[r.failure()] {
			return r.failure()
		}
		failed++
	}
	if failed > 1 {
		return "its reloads failed too"
	}
	return "its reload failed too"
}
