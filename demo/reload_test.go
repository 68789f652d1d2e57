package demo

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
)

// demoEngine is the demo's fleet with the engine the console builds: the
// real reload kinds (the demo's reloads are `http` against its own reload
// endpoint), verification by handshake, no audit line.
func demoEngine(t *testing.T) (context.Context, *model.Fleet, *rotate.Engine) {
	t.Helper()
	ctx, fleet := startDemo(t, 60*time.Second)
	e := rotate.NewEngine(rotate.EngineOptions{Fleet: fleet, Verifier: probe.NewServedProber(fleet, probe.ProbeOptions{Timeout: 8 * time.Second}),
		BundleSerial: probe.BundleSerial, Store: rotate.StoreOptions{AuditLog: "-"}})
	return ctx, fleet, e
}

func served(ctx context.Context, t *testing.T, fleet *model.Fleet, name string) string {
	t.Helper()
	ep, ok := fleet.EndpointByName(name)
	if !ok {
		t.Fatalf("no endpoint %s", name)
	}
	leaf := probe.ProbeEndpoint(ctx, ep, probe.ProbeOptions{Timeout: 8 * time.Second}).Leaf()
	if leaf == nil {
		t.Fatalf("%s serves nothing", name)
	}
	return leaf.Serial
}

// web2 drifts (it serves the lineage's previous generation) until its
// reload runs, as x does: the real http reload reaches the demo's reload
// endpoint with the token from the environment, web2 re-reads the
// lineage, and verification proves it serves the bundle's serial.
func TestDemoReloadFixesTheDriftingEndpoint(t *testing.T) {
	ctx, fleet, e := demoEngine(t)
	web, _ := fleet.BundleByName("web")
	want, err := probe.BundleSerial(web)
	if err != nil {
		t.Fatal(err)
	}
	if got := served(ctx, t, fleet, "web2.demo.test"); got == want {
		t.Fatal("web2 does not drift at start: nothing for x to fix")
	}
	a, err := e.Reload("web2.demo.test")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := a.Plan(ctx)
	if text := strings.Join(p.Lines(), "\n"); !strings.Contains(text, "$"+ReloadTokenEnv) || strings.Contains(text, os.Getenv(ReloadTokenEnv)) {
		t.Fatalf("plan should name the token's variable, never the token:\n%s", text)
	}
	out, err := a.Run(ctx, nil)
	if err != nil || out.State != rotate.OutcomeOK || out.Forward.Reloads[0].Kind != model.ReloadHTTP {
		t.Fatalf("reload web2: %v\n%s", err, strings.Join(out.Lines(), "\n"))
	}
	if got := served(ctx, t, fleet, "web2.demo.test"); got != want {
		t.Fatalf("web2 serves %s after its reload, want %s", got, want)
	}
}

// legacy's reload answers 200 and changes nothing: P (publish → reload →
// verify) publishes the staged certificate, verification fails, and
// on_verify_fail: rollback restores v0002 and verifies it is served.
func TestDemoPublishWhoseReloadHasNoEffectIsRolledBack(t *testing.T) {
	ctx, fleet, e := demoEngine(t)
	legacy, _ := fleet.BundleByName("legacy")
	before := served(ctx, t, fleet, "legacy.demo.test")
	a, err := e.Publish(rotate.PublishRequest{Bundle: "legacy", Reload: true, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Run(ctx, nil)
	if err == nil || out.State != rotate.OutcomeRolledBack {
		t.Fatalf("state %s (%v), want rolled-back\n%s", out.State, err, strings.Join(out.Lines(), "\n"))
	}
	if v := out.Forward.Verify[0]; v.State != rotate.EndpointStillServing || v.Serial != before {
		t.Errorf("forward verification %+v, want still serving %s", v, before)
	}
	if v := out.Back.Verify[0]; v.State != rotate.EndpointVerified || v.Serial != before {
		t.Errorf("rollback verification %+v, want %s verified", v, before)
	}
	if cur, err := os.Readlink(legacy.Path + "/current"); err != nil || cur != "v0002" {
		t.Fatalf("current %s (%v) after the rollback, want v0002", cur, err)
	}
	// Pressed again, the same show: the rollback left a state P can repeat.
	again, _ := e.Publish(rotate.PublishRequest{Bundle: "legacy", Reload: true, Verify: true})
	if out, _ := again.Run(ctx, nil); out.State != rotate.OutcomeRolledBack {
		t.Fatalf("second P: %s", out.State)
	}
}
