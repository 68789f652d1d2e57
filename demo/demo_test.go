package demo

import (
	"context"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe"
)

// TestDemoFleetShowsEveryState probes the demo once with the real probe
// engine and checks each scenario produces the status it exists to show.
func TestDemoFleetShowsEveryState(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fleet, cleanup, err := Start(ctx, Options{Extra: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if n := len(fleet.Endpoints); n < 12+3 {
		t.Fatalf("demo has %d endpoints, want at least 15 with 3 extra", n)
	}
	now := time.Now()
	state := model.NewState(fleet)
	var events []model.Event
	for _, o := range probe.Round(ctx, fleet, probe.RoundOptions{Probe: probe.ProbeOptions{Timeout: 8 * time.Second}}) {
		events = append(events, o)
	}
	state.Apply(now, events)
	want := map[string]model.Status{
		"api.demo.test": model.OK, "mail.demo.test": model.OK, "short1.demo.test": model.OK,
		"pool-1.demo.test": model.OK, "host0001.extra.demo.test": model.OK,
		"shop.demo.test": model.Warn, "billing.demo.test": model.Crit, "old-vpn.demo.test": model.Crit,
		"intranet.demo.test": model.Crit, "wronghost.demo.test": model.Crit,
		"stall.demo.test": model.Error, "refused.demo.test": model.Error,
	}
	for name, st := range want {
		es := state.Endpoint(name)
		if es == nil {
			t.Errorf("%s: not in the demo fleet", name)
			continue
		}
		if es.Verdict.Status != st {
			t.Errorf("%s: %s %v, want %s", name, es.Verdict.Status, es.Verdict.Reasons, st)
		}
	}
	if k := state.Endpoint("stall.demo.test").Last.ErrKind; k != model.ErrTimeout {
		t.Errorf("stall: error kind %q, want timeout", k)
	}
	if k := state.Endpoint("refused.demo.test").Last.ErrKind; k != model.ErrRefused {
		t.Errorf("refused: error kind %q, want refused", k)
	}
	k1 := state.Endpoint("pool-1.demo.test").Last.Ticket
	k2 := state.Endpoint("pool-2.demo.test").Last.Ticket
	k3 := state.Endpoint("pool-3.demo.test").Last.Ticket
	if k1.KeyName == "" || k1.Opaque {
		t.Fatalf("pool tickets carry no key name: %+v", k1)
	}
	if k1.KeyName != k2.KeyName || k3.KeyName == k1.KeyName {
		t.Errorf("pool key names %s %s %s: want the first two equal and the third different", k1.KeyName, k2.KeyName, k3.KeyName)
	}
	if !k1.ResumeChecked || !k1.Resumed {
		t.Errorf("pool-1 ticket does not resume: %+v", k1)
	}
}

func TestRenewingEndpointChangesSerial(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fleet, cleanup, err := Start(ctx, Options{RenewEvery: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	ep, ok := fleet.EndpointByName("short1.demo.test")
	if !ok {
		t.Fatal("no short-lived endpoint")
	}
	first := probe.ProbeEndpoint(ctx, ep, probe.ProbeOptions{Timeout: 8 * time.Second}).Leaf()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if l := probe.ProbeEndpoint(ctx, ep, probe.ProbeOptions{Timeout: 8 * time.Second}).Leaf(); l != nil && first != nil && l.Serial != first.Serial {
			return
		}
	}
	t.Fatal("serial never changed: renewal is not running")
}

// The short-lived certificates get no exemption: they are judged by the
// default lifetime-relative rule, OK while renewed, WARN once less than a
// third of their 11 minutes is left (a renewal that stopped), CRIT in their
// last tenth.
func TestShortLivedCertificatesAreJudgedByTheDefaultRule(t *testing.T) {
	ctx, fleet := startDemo(t, 30*time.Second)
	ep, ok := fleet.EndpointByName("short1.demo.test")
	if !ok {
		t.Fatal("no short-lived endpoint")
	}
	if ep.Thresholds != (model.Thresholds{Warn: model.DefaultWarn, Crit: model.DefaultCrit}) {
		t.Fatalf("short-lived endpoint has its own thresholds %+v", ep.Thresholds)
	}
	leaf := probe.ProbeEndpoint(ctx, ep, probe.ProbeOptions{Timeout: 8 * time.Second}).Leaf()
	if leaf == nil {
		t.Fatal("no certificate served")
	}
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	for _, tc := range []struct {
		leftShare float64
		want      model.Status
	}{{0.8, model.OK}, {0.34, model.OK}, {0.32, model.Warn}, {0.09, model.Crit}} {
		at := leaf.NotAfter.Add(-time.Duration(tc.leftShare * float64(life)))
		if v := model.ClassifyCert(leaf, ep.Thresholds, at); v.Status != tc.want {
			t.Errorf("with %.0f%% of its %s life left: %s %q, want %s", tc.leftShare*100, life, v.Status, v.Reasons, tc.want)
		}
	}
}
