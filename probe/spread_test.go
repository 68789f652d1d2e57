package probe

import (
	"fmt"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
)

// After the console's first round, the scheduler's periodic probes start
// at each endpoint's own phase in the interval, not all at once.
func TestPeriodicProbesAreSpreadOverTheInterval(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	const interval = time.Second
	var eps []model.Endpoint
	var dues []time.Duration
	t0 := time.Unix(0, 0)
	for i := range 20 {
		name := fmt.Sprintf("ep%02d", i)
		eps = append(eps, endpoint(t, name, srv.Addr, "svc.test", fx.caFile))
		// Where its phase puts the name between Delay/2 and Delay/2 plus
		// an interval (Jitter -1: no offset).
		dues = append(dues, nextSlot(t0.Add(interval/2), t0.Add(interval), phaseOf(name, 0, interval), interval).Sub(t0))
	}
	wantSpan := slices.Max(dues) - slices.Min(dues)
	events := make(chan model.Event, 256)
	start := time.Now()
	startScheduler(t, testFleet(interval, 4, eps...), Options{Events: events, Delay: interval, Jitter: -1,
		Probe: ProbeOptions{NoResume: true}})

	first := map[string]time.Time{}
	deadline := time.After(10 * time.Second)
	for len(first) < len(eps) {
		select {
		case ev := <-events:
			if e, ok := ev.(model.ProbeStarted); ok {
				if _, seen := first[e.Endpoint]; !seen {
					first[e.Endpoint] = e.Time
				}
			}
		case <-deadline:
			t.Fatalf("%d of %d endpoints probed in 10s", len(first), len(eps))
		}
	}
	var earliest, latest time.Time
	for name, at := range first {
		if at.Before(start.Add(interval / 2)) {
			t.Errorf("%s probed %v after start, before half the delay", name, at.Sub(start))
		}
		if earliest.IsZero() || at.Before(earliest) {
			earliest = at
		}
		if at.After(latest) {
			latest = at
		}
	}
	if span := latest.Sub(earliest); span < wantSpan/2 {
		t.Errorf("first periodic probes of 20 endpoints within %v, want them spread over about %v", span, wantSpan)
	}
}

// An endpoint that keeps failing is tried less and less often, each wait
// reported (ProbeBackoff) so the console can say so; a re-probe asked for
// runs at once, and a success ends the backoff.
func TestFailingEndpointBacksOffExponentiallyAndSaysSo(t *testing.T) {
	fx := newFixture(t)
	var up atomic.Bool
	cfg := serverConfig(fx.leaf.TLSCertificate())
	srv := probetest.Serve(t, func(c net.Conn) {
		if up.Load() {
			probetest.ServeTLS(c, cfg)
		}
	})
	const interval = 100 * time.Millisecond
	events := make(chan model.Event, 64)
	s, _, _ := startScheduler(t, testFleet(interval, 1, endpoint(t, "flaky", srv.Addr, "svc.test", fx.caFile)),
		Options{Events: events, Jitter: -1, Probe: ProbeOptions{NoResume: true}})

	var last *model.Observation
	var backoff *model.ProbeBackoff
	for want := 2; want <= 4; {
		select {
		case ev := <-events:
			switch e := ev.(type) {
			case *model.Observation:
				if !e.Failed() {
					t.Fatalf("probe of a server that hangs up succeeded")
				}
				if backoff != nil && e.Time.Before(backoff.Next) {
					t.Fatalf("probed %v before the announced next try", backoff.Next.Sub(e.Time))
				}
				last = e
			case model.ProbeBackoff:
				if e.Failures != want {
					t.Fatalf("backoff after %d failures, want %d", e.Failures, want)
				}
				if wait := e.Next.Sub(last.Time); wait < backoffAfter(want, interval) || wait > backoffAfter(want, interval)+time.Second {
					t.Fatalf("after %d failures the next try is %v on, want %v", want, wait, backoffAfter(want, interval))
				}
				backoff = &e
				want++
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no backoff reported in 10s")
		}
	}
	if backoffAfter(4, interval) != 8*interval || backoffAfter(100, time.Minute) != time.Hour {
		t.Fatalf("backoff is not doubling up to an hour: %v, %v", backoffAfter(4, interval), backoffAfter(100, time.Minute))
	}

	up.Store(true)
	asked := time.Now()
	s.Trigger("flaky")
	for {
		select {
		case ev := <-events:
			if o, ok := ev.(*model.Observation); ok && !o.Failed() {
				if backoff.Next.After(time.Now()) && o.Time.Before(asked) {
					t.Fatalf("re-probe started before it was asked for")
				}
				s.mu.Lock()
				n := s.failures["flaky"]
				s.mu.Unlock()
				if n != 0 {
					t.Fatalf("%d failures remembered after a success", n)
				}
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a re-probe asked for during backoff did not run")
		}
	}
}

func TestNextSlotKeepsEachEndpointOnItsPhase(t *testing.T) {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Duration // after epoch
		want time.Duration
	}{
		{-90 * time.Second, -50 * time.Second}, {0, 10 * time.Second}, {10 * time.Second, 10 * time.Second},
		{11 * time.Second, 70 * time.Second}, {70 * time.Second, 70 * time.Second},
	} {
		if got := nextSlot(epoch.Add(tc.t), epoch, 10*time.Second, time.Minute).Sub(epoch); got != tc.want {
			t.Errorf("next slot at %v = %v, want %v", tc.t, got, tc.want)
		}
	}
}
