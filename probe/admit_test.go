package probe

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
)

// countingServer serves TLS and records how many connections it holds at
// once at most, and when each arrived.
type countingServer struct {
	*probetest.Server
	active, peak atomic.Int32
	mu           sync.Mutex
	arrivals     []time.Time
}

func startCountingServer(t *testing.T, fx *fixture, hold time.Duration) *countingServer {
	cs := &countingServer{}
	cfg := serverConfig(fx.leaf.TLSCertificate())
	cs.Server = probetest.Serve(t, func(c net.Conn) {
		cs.mu.Lock()
		cs.arrivals = append(cs.arrivals, time.Now())
		cs.mu.Unlock()
		n := cs.active.Add(1)
		for p := cs.peak.Load(); n > p && !cs.peak.CompareAndSwap(p, n); p = cs.peak.Load() {
		}
		time.Sleep(hold)
		cs.active.Add(-1)
		probetest.ServeTLS(c, cfg)
	})
	return cs
}

// Many virtual hosts behind one address: with a per-IP limit, no more
// probes than that reach the address at once, whatever the concurrency.
func TestPerIPLimitBoundsProbesToOneAddress(t *testing.T) {
	fx := newFixture(t)
	srv := startCountingServer(t, fx, 60*time.Millisecond)
	var eps []model.Endpoint
	for i := range 12 {
		eps = append(eps, endpoint(t, fmt.Sprintf("vhost%02d", i), srv.Addr, "svc.test", fx.caFile))
	}
	f := testFleet(time.Hour, 6, eps...)
	f.PerIPConcurrency = 2
	opt := probeOpts()
	opt.NoResume = true
	opt.Timeout = 10 * time.Second // waiting for a turn is not part of it anyway
	for _, o := range Round(context.Background(), f, RoundOptions{Probe: opt}) {
		if o.Failed() {
			t.Fatalf("%s: %s", o.Endpoint, o.Error)
		}
	}
	if p := srv.peak.Load(); p > 2 {
		t.Fatalf("%d probes at one address at once, want at most the per-IP limit 2", p)
	}
}

// A global rate limit spaces the starts of probes.
func TestRateLimitSpacesProbes(t *testing.T) {
	fx := newFixture(t)
	srv := startCountingServer(t, fx, 0)
	var eps []model.Endpoint
	for i := range 6 {
		eps = append(eps, endpoint(t, fmt.Sprintf("ep%d", i), srv.Addr, "svc.test", fx.caFile))
	}
	f := testFleet(time.Hour, 6, eps...)
	f.RateLimit = 10 // probes per second
	opt := probeOpts()
	opt.NoResume = true
	Round(context.Background(), f, RoundOptions{Probe: opt})
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if n := len(srv.arrivals); n < 6 {
		t.Fatalf("%d connections, want one per endpoint at least", n)
	}
	if span := srv.arrivals[len(srv.arrivals)-1].Sub(srv.arrivals[0]); span < 450*time.Millisecond {
		t.Fatalf("6 probes at 10/s arrived within %v, want at least 0.5s between the first and the last", span)
	}
}

func TestRateLimitReservesOneStartPerInterval(t *testing.T) {
	now := time.Unix(1000, 0)
	var slept []time.Duration
	r := newRateLimit(4, func() time.Time { return now }, func(_ context.Context, d time.Duration) bool {
		slept = append(slept, d)
		return true
	})
	for range 4 {
		r.wait(context.Background())
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond}
	if len(slept) != 3 || slept[0] != want[0] || slept[1] != want[1] || slept[2] != want[2] {
		t.Fatalf("waits %v, want none for the first probe, then %v", slept, want)
	}
	now = now.Add(10 * time.Second) // idle: no burst is saved up
	slept = nil
	r.wait(context.Background())
	r.wait(context.Background())
	if len(slept) != 1 || slept[0] != 250*time.Millisecond {
		t.Fatalf("after idling, waits %v, want [250ms]: no burst", slept)
	}
}
