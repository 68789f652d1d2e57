package demo

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe"
)

// TestDemoPoolMemberOnAnotherKeyStandsOut: what the README promises of
// the demo pool. Its members issue key-named tickets from the pool's key
// dir; pool-3 encrypts with the dir's previous key, so it is WARN and the
// pool is 2/3 in sync, while pool-1 and pool-2 are OK.
func TestDemoPoolMemberOnAnotherKeyStandsOut(t *testing.T) {
	ctx, fleet := startDemo(t, 30*time.Second)
	pool := *fleet // the pool alone: the demo's stalling server would cost a timeout
	pool.Endpoints, pool.Bundles = nil, nil
	for _, ep := range fleet.Endpoints {
		if ep.Group == "pool" {
			pool.Endpoints = append(pool.Endpoints, ep)
		}
	}
	state, _ := probe.Check(ctx, &pool, probe.CheckOptions{Probe: probe.ProbeOptions{Timeout: 8 * time.Second}})
	ts := state.TicketKey("pool-tickets")
	if ts == nil || ts.Facts == nil {
		t.Fatal("the demo has no pool-tickets key dir")
	}
	cur, _ := ts.Current()
	for _, ep := range []string{"pool-1.demo.test", "pool-2.demo.test"} {
		es := state.Endpoint(ep)
		if es.Verdict.Status != model.OK || es.Last.Ticket.KeyName != cur.Name {
			t.Errorf("%s: %s %q, key %s; want OK on the dir's current key %s", ep, es.Verdict.Status, es.Verdict.Reasons, es.Last.Ticket.KeyName, cur.Name)
		}
	}
	odd := state.Endpoint("pool-3.demo.test")
	if odd.Verdict.Status != model.Warn || !strings.Contains(strings.Join(odd.Verdict.Reasons, ";"), "encrypts with the previous key of pool-tickets") {
		t.Fatalf("pool-3: %s %q; want it to stand out", odd.Verdict.Status, odd.Verdict.Reasons)
	}
	if ts.SyncLabel() != "2/3" || ts.Verdict.Status < model.Warn {
		t.Fatalf("pool-tickets: %s %s %q", ts.SyncLabel(), ts.Verdict.Status, ts.Verdict.Reasons)
	}
}
