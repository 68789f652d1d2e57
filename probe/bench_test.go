package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// benchConcurrency is the probes in flight in BenchmarkProbeRound: the
// default concurrency.
const benchConcurrency = model.DefaultConcurrency

// BenchmarkProbeRound measures one Round over 2,000 and 10,000 endpoints
// (one local Go TLS server, distinct endpoint names) against a baseline of
// the same number of bare tls.Dial full handshakes with verification at
// the same concurrency, interleaved in the same run so load from other
// processes falls on both alike. It reports, per size:
//
//   - ratio, cpu-ratio: the round as `certdeck check` runs it (NoResume)
//     over the baseline (Go's default groups, as a plain tls.Dial); wall
//     time and CPU time of both ends (client and in-process server). Goal:
//     ≤ 1.15 at 10,000.
//   - ratio-same-groups: the same round over tls.Dial offering the probe's
//     classical groups, with verification: the key exchange held equal.
//   - resume-ratio, resume-cpu-ratio: the round with the resumption check
//     (`check --resumption`) over the round without: what the check costs.
//
// Every endpoint names the same server, so the round learns once that its
// tickets are opaque (a Go server sends one TLS 1.3 ticket per connection):
// a fleet of distinct Go servers costs `check` a second handshake each to
// tell a key name from a random prefix (resume_policy.go).
//
//	go test -run '^$' -bench BenchmarkProbeRound -benchtime 3x ./probe/
func BenchmarkProbeRound(b *testing.B) {
	ca := pki.Must(pki.NewCA("Bench Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	srv := probetest.StartTLSServer(b, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}})
	roots := ca.Pool()
	for _, n := range []int{2000, 10_000} {
		b.Run(fmt.Sprintf("endpoints=%d", n), func(b *testing.B) {
			f := benchFleet(srv.Addr, n)
			round := func(b *testing.B, resume bool) {
				obs := Round(context.Background(), f, RoundOptions{Probe: ProbeOptions{Roots: roots, NoResume: !resume}})
				for _, o := range obs {
					if o.Failed() || !o.Verified || o.Ticket.Kind != model.TicketOpaque || (resume && !o.Ticket.Resumed) {
						b.Fatalf("%s: error %q verified=%v ticket %+v", o.Endpoint, o.Error, o.Verified, o.Ticket)
					}
				}
			}
			baseline := func(b *testing.B) { dialLoop(b, srv.Addr, n, &tls.Config{RootCAs: roots, ServerName: "svc.test"}) }
			sameGroups := func(b *testing.B) {
				dialLoop(b, srv.Addr, n, &tls.Config{RootCAs: roots, ServerName: "svc.test", CurvePreferences: probeGroups})
			}
			var checkD, baseD, sameD, resumeD, checkCPU, baseCPU, resumeCPU time.Duration
			for b.Loop() {
				t0, c0 := time.Now(), cpuTime()
				baseline(b)
				t1, c1 := time.Now(), cpuTime()
				round(b, false)
				t2, c2 := time.Now(), cpuTime()
				sameGroups(b)
				t3, c3 := time.Now(), cpuTime()
				round(b, true)
				t4, c4 := time.Now(), cpuTime()
				baseD, baseCPU = baseD+t1.Sub(t0), baseCPU+c1-c0
				checkD, checkCPU = checkD+t2.Sub(t1), checkCPU+c2-c1
				sameD = sameD + t3.Sub(t2)
				resumeD, resumeCPU = resumeD+t4.Sub(t3), resumeCPU+c4-c3
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
			b.ReportMetric(per(checkD), "round-ns/op")
			b.ReportMetric(per(baseD), "baseline-ns/op")
			b.ReportMetric(float64(n)/(per(checkD)/1e9), "handshakes/s")
			b.ReportMetric(float64(checkD)/float64(baseD), "ratio")
			// CPU time (client and in-process server together) is steadier
			// than wall time when other processes compete for the cores.
			b.ReportMetric(float64(checkCPU)/float64(baseCPU), "cpu-ratio")
			b.ReportMetric(float64(checkD)/float64(sameD), "ratio-same-groups")
			b.ReportMetric(float64(resumeD)/float64(checkD), "resume-ratio")
			b.ReportMetric(float64(resumeCPU)/float64(checkCPU), "resume-cpu-ratio")
		})
	}
}

// benchFleet is n endpoints, distinct names, all at addr.
func benchFleet(addr string, n int) *model.Fleet {
	f := &model.Fleet{Interval: time.Minute, Timeout: 30 * time.Second, Concurrency: benchConcurrency,
		Thresholds: model.Thresholds{Warn: model.DefaultWarn, Crit: model.DefaultCrit}}
	target, _ := model.ParseTarget(addr)
	for i := range n {
		f.Endpoints = append(f.Endpoints, model.Endpoint{
			Name: fmt.Sprintf("ep%05d", i), Address: addr, Target: target, SNI: "svc.test",
			Thresholds: f.Thresholds,
		})
	}
	return f
}

// BenchmarkRoundMemory reports what a round keeps per endpoint once it is
// over (the heap in use after a collection, over 10,000 endpoints of one
// pool): the observations, whose chain descriptions endpoints serving one
// chain share (chainCache), and nothing of the connections.
//
//	go test -run '^$' -bench BenchmarkRoundMemory -benchtime 1x ./probe/
func BenchmarkRoundMemory(b *testing.B) {
	ca := pki.Must(pki.NewCA("Bench Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	srv := probetest.StartTLSServer(b, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}})
	const n = 10_000
	f := benchFleet(srv.Addr, n)
	for b.Loop() {
		before := liveHeap()
		obs := Round(context.Background(), f, RoundOptions{Probe: ProbeOptions{Roots: ca.Pool(), NoResume: true}})
		b.ReportMetric(float64(liveHeap()-before)/n, "kept-bytes/endpoint")
		runtime.KeepAlive(obs)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// dialLoop makes n bare tls.Dial handshakes with cfg at benchConcurrency.
func dialLoop(b *testing.B, addr string, n int, cfg *tls.Config) {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range benchConcurrency {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				c, err := tls.Dial("tcp", addr, cfg)
				if err != nil {
					failed.Store(err)
					return
				}
				c.Close()
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkResumptionGroup measures the resumption check alone (connect,
// present the ticket, resumed TLS 1.3 handshake, read the new ticket)
// against a local Go server, once per group offered, and reports the CPU
// time of both ends per check (cpu-ns/op, from getrusage: steadier than
// wall time on a shared machine). It is the evidence for resumptionGroups
// offering P-256 alone.
//
//	go test -run '^$' -bench BenchmarkResumptionGroup -benchtime 2000x ./probe/
func BenchmarkResumptionGroup(b *testing.B) {
	ca := pki.Must(pki.NewCA("Bench Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	srv := probetest.StartTLSServer(b, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}})
	target, _ := model.ParseTarget(srv.Addr)
	ep := model.Endpoint{Name: "bench", Address: srv.Addr, Target: target, SNI: "svc.test"}
	p := newProber(ProbeOptions{Roots: ca.Pool(), Timeout: 10 * time.Second}, nil)
	for _, group := range []tls.CurveID{tls.X25519, tls.CurveP256} {
		b.Run(group.String(), func(b *testing.B) {
			ctx := context.Background()
			clock := &tlsClock{}
			cfg := p.clientConfig(ep, clock)
			capture := &ticketCapture{}
			cfg.ClientSessionCache = capture
			h, err := handshake(ctx, ep, cfg)
			if err != nil {
				b.Fatal(err)
			}
			_ = capture.await(h.tc, h.rec, 0, time.Second, time.Now().Add(time.Second))
			h.tc.Close()
			r := resumption{ep: ep, base: cfg, clock: clock, state: h.tc.ConnectionState(), capture: capture,
				deadline: time.Now().Add(time.Hour)}
			c0 := cpuTime()
			for b.Loop() {
				if checked, resumed, err := p.presentTicket(ctx, r, []tls.CurveID{group}); !checked || !resumed || err != nil {
					b.Fatalf("checked=%v resumed=%v err=%v", checked, resumed, err)
				}
				// Keep the capture from growing over thousands of checks.
				capture.tickets, capture.sessions = capture.tickets[:1], capture.sessions[:1]
			}
			b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
