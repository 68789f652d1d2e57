package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
)

// TestDemoBundlesShowDriftAndEachLayout reads the demo's bundles and
// probes its endpoints: the certbot lineage is WARN because web2 still
// serves the previous generation, the store and single-file bundles are
// OK and in sync.
func TestDemoBundlesShowDriftAndEachLayout(t *testing.T) {
	ctx, fleet := startDemo(t, 30*time.Second)
	state := probeAll(ctx, t, fleet)
	want := []struct {
		name, layout string
		status       model.Status
		drift        string
	}{
		{"web", "certbot", model.Warn, "1/2 in sync"},
		{"app", "store", model.OK, "1/1 in sync"},
		{"edge", "single-file", model.OK, "1/1 in sync"},
		{"legacy", "store", model.OK, "1/1 in sync"},
	}
	for _, w := range want {
		bs := state.Bundle(w.name)
		if bs == nil || bs.Facts == nil {
			t.Errorf("%s: not read", w.name)
			continue
		}
		if bs.Verdict.Status != w.status || bs.Facts.Layout != w.layout || bs.DriftSummary() != w.drift {
			t.Errorf("%s: %s %s %q %v; want %s %s %q", w.name, bs.Verdict.Status, bs.Facts.Layout, bs.DriftSummary(),
				bs.Verdict.Reasons, w.status, w.layout, w.drift)
		}
		if match, known := bs.KeyMatch(); !known || !match {
			t.Errorf("%s: key match %v (known %v)", w.name, match, known)
		}
	}
	web := state.Bundle("web")
	if r := strings.Join(web.Verdict.Reasons, "; "); web != nil && (!strings.Contains(r, "web2.demo.test serves an older certificate (serial ") || !strings.Contains(r, "reload needed")) {
		t.Errorf("web reasons %v: want the drift reason", web.Verdict.Reasons)
	}
	if app := state.Bundle("app"); app != nil && app.Bundle.Source == "" {
		t.Error("app has no source: p would have nothing to publish")
	}
}

// TestDemoStorePublishIsServedWithoutRestart publishes the app bundle's
// staged certificate as the console's p does, and the app endpoint (a
// rotate.Reloader) serves the new serial with no restart.
func TestDemoStorePublishIsServedWithoutRestart(t *testing.T) {
	ctx, fleet := startDemo(t, 30*time.Second)
	var app model.Bundle
	for _, b := range fleet.Bundles {
		if b.Name == "app" {
			app = b
		}
	}
	ep, ok := fleet.EndpointByName("app.demo.test")
	if !ok || app.Name == "" {
		t.Fatal("demo has no app bundle or endpoint")
	}
	before := probe.ProbeEndpoint(ctx, ep, probe.ProbeOptions{Timeout: 8 * time.Second}).Leaf()
	store, name, err := rotate.BundleStore(app, false, rotate.StoreOptions{AuditLog: "-"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := rotate.SourceInputs(app)
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Publish(ctx, name, in)
	if err != nil {
		t.Fatal(err)
	}
	if before == nil || before.Serial == res.New.Serial {
		t.Fatalf("served %v before the publish of %s: the test proves nothing", before, res.New.Serial)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if l := probe.ProbeEndpoint(ctx, ep, probe.ProbeOptions{Timeout: 8 * time.Second}).Leaf(); l != nil && l.Serial == res.New.Serial {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("app.demo.test never served the published serial %s", res.New.Serial)
}

// probeAll is one probe round plus one read of every bundle, applied.
func probeAll(ctx context.Context, t *testing.T, fleet *model.Fleet) *model.State {
	t.Helper()
	state := model.NewState(fleet)
	var events []model.Event
	for _, o := range probe.Round(ctx, fleet, probe.RoundOptions{Probe: probe.ProbeOptions{Timeout: 8 * time.Second}}) {
		events = append(events, o)
	}
	events = append(events, probe.BundleEvents(fleet.Bundles, time.Now())...)
	state.Apply(time.Now(), events)
	return state
}
