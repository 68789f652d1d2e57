package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// benchEndpoints and benchConcurrency size BenchmarkProbeRound: a fleet of
// 2,000 endpoints probed with the default concurrency.
const (
	benchEndpoints   = 2000
	benchConcurrency = model.DefaultConcurrency
)

// BenchmarkProbeRound measures one Round over 2,000 endpoints (one local Go
// TLS server, distinct endpoint names) against a baseline of the same
// number of bare tls.Dial full handshakes at the same concurrency, in the
// same run. The goal is round/baseline ≤ 1.5 with the resumption check
// included; the interleaved sub-benchmark reports it as ratio (wall) and
// cpu-ratio. The baseline uses Go's default groups, as a plain tls.Dial
// does; ratio-same-groups compares against tls.Dial offering the probe's
// classical groups, which isolates what the resumption check costs.
//
//	go test -run '^$' -bench BenchmarkProbeRound -benchtime 3x ./probe/
func BenchmarkProbeRound(b *testing.B) {
	ca := pki.Must(pki.NewCA("Bench Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	srv := probetest.StartTLSServer(b, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}})
	roots := ca.Pool()

	f := &model.Fleet{Interval: time.Minute, Timeout: 30 * time.Second, Concurrency: benchConcurrency,
		Thresholds: model.Thresholds{Warn: model.DefaultWarn, Crit: model.DefaultCrit}}
	target, _ := model.ParseTarget(srv.Addr)
	for i := range benchEndpoints {
		f.Endpoints = append(f.Endpoints, model.Endpoint{
			Name: fmt.Sprintf("ep%04d", i), Address: srv.Addr, Target: target, SNI: "svc.test",
			Thresholds: f.Thresholds,
		})
	}

	round := func(b *testing.B) {
		obs := Round(context.Background(), f, RoundOptions{Probe: ProbeOptions{Roots: roots}})
		for _, o := range obs {
			if o.Failed() || !o.Verified || !o.Ticket.Resumed {
				b.Fatalf("%s: error %q verified=%v resumed=%v", o.Endpoint, o.Error, o.Verified, o.Ticket.Resumed)
			}
		}
	}
	// baseline is the issue's yardstick: bare tls.Dial, Go's defaults.
	// baselineSameGroups offers the probe's classical groups instead, so
	// the ratio against it is the cost of everything else a probe does
	// (the resumption check above all), with the key exchange held equal.
	baseline := func(b *testing.B) { dialLoop(b, srv.Addr, &tls.Config{RootCAs: roots, ServerName: "svc.test"}) }
	baselineSameGroups := func(b *testing.B) {
		dialLoop(b, srv.Addr, &tls.Config{RootCAs: roots, ServerName: "svc.test", CurvePreferences: probeGroups})
	}

	b.Run("round", func(b *testing.B) {
		for b.Loop() {
			round(b)
		}
	})
	b.Run("baseline-tls-dial", func(b *testing.B) {
		for b.Loop() {
			baseline(b)
		}
	})
	// The machine is shared, so load drifts between the two runs above;
	// alternating them per iteration exposes both to the same load and
	// makes the ratio meaningful.
	b.Run("interleaved", func(b *testing.B) {
		var roundD, baseD, sameD, roundCPU, baseCPU time.Duration
		for b.Loop() {
			t0, c0 := time.Now(), cpuTime()
			baseline(b)
			t1, c1 := time.Now(), cpuTime()
			round(b)
			t2, c2 := time.Now(), cpuTime()
			baselineSameGroups(b)
			roundD += t2.Sub(t1)
			roundCPU += c2 - c1
			baseD += t1.Sub(t0)
			baseCPU += c1 - c0
			sameD += time.Since(t2)
		}
		n := float64(b.N)
		b.ReportMetric(float64(roundD.Nanoseconds())/n, "round-ns/op")
		b.ReportMetric(float64(baseD.Nanoseconds())/n, "baseline-ns/op")
		b.ReportMetric(float64(roundD)/float64(baseD), "ratio")
		// CPU time (client and in-process server together) is steadier
		// than wall time when other processes compete for the cores.
		b.ReportMetric(float64(roundCPU)/float64(baseCPU), "cpu-ratio")
		b.ReportMetric(float64(roundD)/float64(sameD), "ratio-same-groups")
	})
}

// dialLoop makes benchEndpoints bare tls.Dial handshakes with cfg at
// benchConcurrency.
func dialLoop(b *testing.B, addr string, cfg *tls.Config) {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range benchConcurrency {
		wg.Go(func() {
			for next.Add(1) <= benchEndpoints {
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
