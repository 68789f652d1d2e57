package probe

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
)

func testFleet(interval time.Duration, concurrency int, eps ...model.Endpoint) *model.Fleet {
	return &model.Fleet{
		Interval: interval, Timeout: testTimeout, Concurrency: concurrency,
		Thresholds: model.Thresholds{Warn: model.DefaultWarn, Crit: model.DefaultCrit},
		Endpoints:  eps,
	}
}

// collect reads events until n observations arrived or the wait ends.
func collect(t *testing.T, events <-chan model.Event, n int, wait time.Duration) (started []string, obs []*model.Observation) {
	t.Helper()
	timeout := time.After(wait)
	for len(obs) < n {
		select {
		case ev := <-events:
			switch e := ev.(type) {
			case model.ProbeStarted:
				started = append(started, e.Endpoint)
			case *model.Observation:
				obs = append(obs, e)
			}
		case <-timeout:
			t.Fatalf("got %d observations in %v, want %d", len(obs), wait, n)
		}
	}
	return started, obs
}

func startScheduler(t *testing.T, f *model.Fleet, opt Options) (*Scheduler, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	s, err := NewScheduler(f, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, cancel, done
}

func TestSchedulerProbesEveryEndpointThenRepeatsEachInterval(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	f := testFleet(150*time.Millisecond, 4,
		endpoint(t, "a", srv.Addr, "svc.test", fx.caFile),
		endpoint(t, "b", srv.Addr, "svc.test", fx.caFile))
	events := make(chan model.Event, 64)
	s, _, _ := startScheduler(t, f, Options{Events: events, Jitter: -1})

	started, obs := collect(t, events, 6, 5*time.Second) // three rounds
	count := map[string]int{}
	for _, o := range obs {
		if o.Failed() {
			t.Fatalf("%s: %s", o.Endpoint, o.Error)
		}
		count[o.Endpoint]++
	}
	if count["a"] < 2 || count["b"] < 2 {
		t.Fatalf("observations per endpoint = %v, want repeated rounds for both", count)
	}
	if len(started) < len(obs) {
		t.Fatalf("%d ProbeStarted for %d observations: every observation is announced first", len(started), len(obs))
	}
	next := s.NextRound()
	if now := time.Now(); next.Before(now.Add(-time.Second)) || next.After(now.Add(f.Interval+time.Second)) {
		t.Fatalf("NextRound = %v, want within one interval of now", next)
	}
}

func TestSchedulerTriggerProbesNowAndNeverBlocks(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	f := testFleet(time.Hour, 2,
		endpoint(t, "a", srv.Addr, "svc.test", fx.caFile),
		endpoint(t, "b", srv.Addr, "svc.test", fx.caFile))
	events := make(chan model.Event) // unbuffered and unread while triggering
	s, _, _ := startScheduler(t, f, Options{Events: events, Jitter: -1})
	collect(t, events, 2, 5*time.Second) // the first round

	done := make(chan struct{})
	go func() {
		for range 10000 {
			s.Trigger("b", "no-such-endpoint")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Trigger blocked while nobody read the events")
	}
	_, obs := collect(t, events, 1, 5*time.Second)
	if obs[0].Endpoint != "b" {
		t.Fatalf("triggered b, observed %s", obs[0].Endpoint)
	}
	// 10000 triggers collapse into at most one queued and one re-run probe.
	time.Sleep(300 * time.Millisecond)
	extra := 0
	for len(events) > 0 || drainOne(events) {
		extra++
	}
	if extra > 4 {
		t.Fatalf("%d extra events after triggers: triggers were not coalesced", extra)
	}
}

func drainOne(events <-chan model.Event) bool {
	select {
	case <-events:
		return true
	case <-time.After(200 * time.Millisecond):
		return false
	}
}

func TestSchedulerBoundsConcurrentProbes(t *testing.T) {
	fx := newFixture(t)
	var active, peak atomic.Int32
	cfg := serverConfig(fx.leaf.TLSCertificate())
	srv := probetest.Serve(t, func(c net.Conn) {
		n := active.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(80 * time.Millisecond)
		active.Add(-1)
		probetest.ServeTLS(c, cfg)
	})
	var eps []model.Endpoint
	for i := range 12 {
		eps = append(eps, endpoint(t, fmt.Sprintf("ep%02d", i), srv.Addr, "svc.test", fx.caFile))
	}
	events := make(chan model.Event, 64)
	startScheduler(t, testFleet(time.Hour, 3, eps...), Options{Events: events, Probe: ProbeOptions{NoResume: true}})
	collect(t, events, 12, 10*time.Second)
	if p := peak.Load(); p != 3 {
		t.Fatalf("peak concurrent connections = %d, want exactly the concurrency limit 3", p)
	}
}

func TestSchedulerShutdownLeavesNoGoroutine(t *testing.T) {
	fx := newFixture(t)
	good := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	silent := probetest.Silent(t)
	var eps []model.Endpoint
	for i := range 6 {
		eps = append(eps, endpoint(t, fmt.Sprintf("good%d", i), good.Addr, "svc.test", fx.caFile))
	}
	eps = append(eps, endpoint(t, "silent", silent.Addr, "", ""))
	f := testFleet(20*time.Millisecond, 4, eps...)
	f.Timeout = 30 * time.Second // shutdown must not wait for the silent server's deadline

	baseline := runtime.NumGoroutine()
	events := make(chan model.Event) // nobody reads after the first few: workers block on send
	s, err := NewScheduler(f, Options{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	collect(t, events, 3, 5*time.Second)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 1000 {
			s.Trigger()
		}
	})
	wg.Wait()
	cancel()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return within 3s of cancel")
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines after shutdown, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNewSchedulerRequiresEvents(t *testing.T) {
	if _, err := NewScheduler(testFleet(time.Second, 1), Options{}); err == nil {
		t.Fatal("NewScheduler accepted options without an Events channel")
	}
}

func TestRoundReturnsOneObservationPerEndpointInFleetOrder(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	refused := probetest.RefusedAddr(t)
	f := testFleet(time.Hour, 2,
		endpoint(t, "ok", srv.Addr, "svc.test", fx.caFile),
		endpoint(t, "down", refused, "", ""),
		endpoint(t, "ok2", srv.Addr, "svc.test", fx.caFile))
	obs := Round(context.Background(), f, RoundOptions{})
	if len(obs) != 3 {
		t.Fatalf("%d observations, want 3", len(obs))
	}
	for i, want := range []string{"ok", "down", "ok2"} {
		if obs[i].Endpoint != want {
			t.Fatalf("observation %d is %s, want %s", i, obs[i].Endpoint, want)
		}
	}
	if obs[0].Failed() || obs[1].ErrKind != model.ErrRefused || obs[2].Failed() {
		t.Fatalf("results: %q / %s / %q", obs[0].Error, obs[1].ErrKind, obs[2].Error)
	}
}

func TestRoundReportsProgressOnEvents(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	f := testFleet(time.Hour, 2,
		endpoint(t, "a", srv.Addr, "svc.test", fx.caFile),
		endpoint(t, "b", srv.Addr, "svc.test", fx.caFile))
	events := make(chan model.Event, 8)
	obs := Round(context.Background(), f, RoundOptions{Events: events})
	close(events)
	var started, done int
	for ev := range events {
		switch ev.(type) {
		case model.ProbeStarted:
			started++
		case *model.Observation:
			done++
		}
	}
	if len(obs) != 2 || started != 2 || done != 2 {
		t.Fatalf("%d observations, %d started and %d done events; want 2 each", len(obs), started, done)
	}
}
