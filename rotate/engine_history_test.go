package rotate

import (
	"context"
	"slices"
	"testing"
)

// publishNotServed publishes a fresh certificate into api whose reload
// leaves the server on what it served (the new one is never served), so
// on_verify_fail: rollback rolls it back; the rollback's reload works.
func (fx *engineFixture) publishNotServed(t *testing.T) *Outcome {
	t.Helper()
	calls := 0
	fx.behave["api-nginx"] = func(context.Context) ReloadResult {
		calls++
		if calls > 1 {
			fx.servers.set("api-1", fx.currentSerial("api"))
		}
		return ReloadResult{}
	}
	defer func() { fx.behave["api-nginx"] = fx.loadsCurrent("api-nginx") }()
	inputs, _ := newerInputs(t, "api")
	a, err := fx.engine(false).Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := a.Run(t.Context(), nil)
	if out.State != OutcomeRolledBack {
		t.Fatalf("publish not served: state %s (%s), want rolled-back", out.State, out.Error)
	}
	return out
}

// publishServed publishes a fresh certificate into api that is served.
func (fx *engineFixture) publishServed(t *testing.T) {
	t.Helper()
	inputs, _ := newerInputs(t, "api")
	a, err := fx.engine(false).Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := a.Run(t.Context(), nil); err != nil || out.State != OutcomeOK {
		t.Fatalf("publish served: state %s, err %v", out.State, err)
	}
}

// The tester's report: after a publish that was not served and rolled
// back (v0003), and a good publish after it (v0004), every path that
// rolls back without a version name goes to the version that was current
// before v0004 (v0002), never to v0003; retention never removes v0002,
// and removes v0003 first.
func TestRollbackAfterAnUnverifiedPublishGoesBackToTheLastGoodVersion(t *testing.T) {
	fx := newEngineFixture(t) // api: v0001, v0002 (current)
	fx.publishNotServed(t)    // v0003, rolled back to v0002
	if fx.current("api") != "v0002" {
		t.Fatalf("current %s after the automatic rollback, want v0002", fx.current("api"))
	}
	fx.publishServed(t) // v0004
	e := fx.engine(false)

	// rollback --dry-run, the console's b: the plan.
	rb, err := e.Rollback(RollbackRequest{Bundle: "api"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := rb.Plan(t.Context())
	if err != nil || p.OldVersion != "v0004" || p.NewVersion != "v0002" {
		t.Fatalf("rollback plan %s → %s (%v), want v0004 → v0002 (v0003 was rolled back as not served)", p.OldVersion, p.NewVersion, err)
	}
	// reload's rollback leg, as planned.
	rl, err := e.ReloadBundle("api")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := rl.Plan(t.Context()); err != nil || p.RollbackTo != "v0002" {
		t.Fatalf("reload plan rolls back to %q (%v), want v0002", p.RollbackTo, err)
	}
	// A publish's automatic rollback, as planned: to what is current.
	inputs, _ := newerInputs(t, "api")
	pub, err := e.Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := pub.Plan(t.Context()); err != nil || p.RollbackTo != "v0004" {
		t.Fatalf("publish plan rolls back to %q (%v), want v0004", p.RollbackTo, err)
	}

	// store prune --keep 1: current and the rollback target stay; the
	// version rolled back as not verified goes first.
	store := *fx.store
	store.Keep = 1
	res, err := store.Prune(t.Context(), "api")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Pruned, []string{"v0003", "v0001"}) || !slices.Equal(res.Kept, []string{"v0002", "v0004"}) {
		t.Fatalf("prune --keep 1 removed %v and kept %v; want v0003 (rolled back) then v0001 removed, v0002 (rollback target) and v0004 (current) kept",
			res.Pruned, res.Kept)
	}

	// And the rollback itself, by the CLI's path.
	run, _ := e.Rollback(RollbackRequest{Bundle: "api"})
	out, err := run.Run(t.Context(), nil)
	if err != nil || fx.current("api") != "v0002" {
		t.Fatalf("rollback: current %s, %v (%s)", fx.current("api"), err, out.Error)
	}
}
