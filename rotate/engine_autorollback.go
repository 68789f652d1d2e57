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
// restored serial. Its failure is the loudest outcome there is.
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
	out.Back.Verify = r.verify(ctx, back, failed, r.e.timeoutOf(b))
	switch {
	case len(failed) > 0:
		return fail(errors.New(firstReloadError(*out.Back)))
	case !out.Back.Verified():
		return fail(errors.New(notServed(*out.Back)))
	}
	out.State = OutcomeRolledBack
	return fmt.Errorf("%s; rolled back to %s (serial %s), which is served again", forward, res.New.Name, res.New.Serial)
}
