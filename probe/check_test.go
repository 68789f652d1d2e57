package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// Check is the whole pipeline in one call: a bundle on disk renewed to a
// new certificate while its endpoint still serves the old one comes out as
// drift (WARN), which needs the probe round, the bundle read, and the
// order between them; events go to the stream as they happen.
func TestCheckRunsProbesBundlesDriftAndStatus(t *testing.T) {
	w := newDiskWorld(t)
	old, renewed := w.leaf(t), w.leaf(t)
	srv := probetest.StartTLSServer(t, serverConfig(old.TLSCertificate()))
	dir := filepath.Join(w.dir, "store", "web")
	swapCurrent(t, dir, writeStoreVersion(t, dir, 1, renewed))
	ep := endpoint(t, "web-1", srv.Addr, "web.test", w.caFile)
	b := w.bundle(dir, model.LayoutAuto)
	b.Serves = []string{"web-1"}
	fleet := &model.Fleet{Timeout: testTimeout, Concurrency: 4, Endpoints: []model.Endpoint{ep}, Bundles: []model.Bundle{b}}

	events := make(chan model.Event, 16)
	clock := time.Now().Add(time.Hour)
	state, now := Check(context.Background(), fleet, CheckOptions{Events: events, Probe: ProbeOptions{Clock: func() time.Time { return clock }}})
	if !now.Equal(clock) {
		t.Fatalf("now = %s, want the probe clock %s", now, clock)
	}
	es := state.Endpoint("web-1")
	if es.Last == nil || es.Last.Failed() || es.Verdict.Status != model.Warn || !strings.Contains(es.Verdict.Reasons[0], "bundle web holds") {
		t.Fatalf("endpoint (serving another certificate than its bundle): %+v", es)
	}
	bs := state.Bundle("web")
	if bs.Verdict.Status != model.Warn || bs.Drift[0].State != model.Drifted || state.Worst() != model.Warn {
		t.Fatalf("bundle: %s %q %+v", bs.Verdict.Status, bs.Verdict.Reasons, bs.Drift)
	}
	close(events)
	var kinds []string
	for ev := range events {
		switch ev.(type) {
		case model.ProbeStarted:
			kinds = append(kinds, "started")
		case *model.Observation:
			kinds = append(kinds, "observation")
		case *model.BundleSnapshot:
			kinds = append(kinds, "bundle")
		}
	}
	if len(kinds) != 3 || kinds[0] != "started" || kinds[1] != "observation" || kinds[2] != "bundle" {
		t.Fatalf("streamed events %v", kinds)
	}

	// The console's watcher reads bundles itself: Check leaves them.
	state, _ = Check(context.Background(), fleet, CheckOptions{SkipBundles: true})
	if state.Bundle("web").Facts != nil {
		t.Fatal("SkipBundles read the bundle")
	}
}

// An empty fleet, or a cancelled context, still returns a usable state.
func TestCheckOfNothingAndCancelledCheckReturn(t *testing.T) {
	ca := pki.Must(pki.NewCA("Cancel Root"))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	state, _ := Check(context.Background(), &model.Fleet{}, CheckOptions{})
	if state.Worst() != model.OK {
		t.Fatalf("empty fleet worst %s", state.Worst())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fleet := &model.Fleet{Timeout: testTimeout, Concurrency: 1,
		Endpoints: []model.Endpoint{endpoint(t, "stall", probetest.Silent(t).Addr, "x.test", caFile)}}
	done := make(chan *model.State, 1)
	go func() { s, _ := Check(ctx, fleet, CheckOptions{}); done <- s }()
	select {
	case s := <-done:
		if s.Endpoint("stall").Last == nil {
			t.Fatal("cancelled check left the endpoint without an observation")
		}
	case <-time.After(testTimeout + 2*time.Second):
		t.Fatal("a cancelled check does not return")
	}
}

// The console's first round is Check's; the scheduler, started with a
// Delay of one interval, must not probe everything a second time at once,
// yet must serve a Trigger (a re-probe after a publish) meanwhile.
func TestSchedulerDelayPostponesTheFirstRoundButServesTriggers(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	f := testFleet(time.Hour, 2, endpoint(t, "a", srv.Addr, "svc.test", fx.caFile), endpoint(t, "b", srv.Addr, "svc.test", fx.caFile))
	events := make(chan model.Event, 16)
	start := time.Now()
	s, _, _ := startScheduler(t, f, Options{Events: events, Delay: time.Hour, Jitter: -1})
	select {
	case ev := <-events:
		t.Fatalf("a delayed scheduler probed at once: %T %+v", ev, ev)
	case <-time.After(300 * time.Millisecond):
	}
	if next := s.NextRound(); next.Before(start.Add(59 * time.Minute)) {
		t.Fatalf("NextRound = %s, want about an hour from now", next)
	}
	s.Trigger("b")
	_, obs := collect(t, events, 1, 5*time.Second)
	if obs[0].Endpoint != "b" {
		t.Fatalf("triggered %s, want b", obs[0].Endpoint)
	}
}
