package probe

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
	"certdeck/rotate"
)

// swappable is a Go TLS server config whose certificate a test swaps, as
// a reload would.
type swappable struct {
	cert atomic.Pointer[tls.Certificate]
	// hook runs inside each handshake with the certificate it will serve.
	hook func(*tls.Certificate)
}

func (s *swappable) config() *tls.Config {
	return &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		c := s.cert.Load()
		if s.hook != nil {
			s.hook(c)
		}
		return c, nil
	}}
}

func drain(t *testing.T, events chan model.Event) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-events:
			case <-done:
				return
			}
		}
	}()
	t.Cleanup(func() { close(done) })
}

func serialOf(l *pki.Leaf) string { return model.SerialHex(l.Cert.SerialNumber) }

// A probe already in flight when verification asks started before the
// reload it should prove: its answer is not taken, the next probe's is.
func TestSchedulerServedSerialIgnoresAProbeThatStartedBeforeIt(t *testing.T) {
	fx := newFixture(t)
	fresh := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	var srv swappable
	old := fx.leaf.TLSCertificate()
	srv.cert.Store(&old)
	inFlight, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	srv.hook = func(*tls.Certificate) {
		first.Do(func() {
			close(inFlight)
			<-release // the scheduled probe, holding the old certificate
		})
	}
	ts := probetest.StartTLSServer(t, srv.config())
	f := testFleet(time.Hour, 2, endpoint(t, "a", ts.Addr, "svc.test", fx.caFile))
	events := make(chan model.Event, 64)
	drain(t, events)
	s, _, _ := startScheduler(t, f, Options{Events: events, Jitter: -1})
	<-inFlight
	freshCert := fresh.TLSCertificate()
	srv.cert.Store(&freshCert) // the reload
	got := make(chan string, 1)
	go func() {
		serial, err := s.ServedSerial(t.Context(), "a")
		if err != nil {
			serial = "error: " + err.Error()
		}
		got <- serial
	}()
	waitFor(t, func() bool {
		s.served.mu.Lock()
		defer s.served.mu.Unlock()
		return len(s.served.waiting["a"]) == 1
	})
	close(release)
	select {
	case serial := <-got:
		if serial != serialOf(fresh) {
			t.Fatalf("ServedSerial = %s, want the fresh %s (the old %s came from a probe started before the call)", serial, serialOf(fresh), serialOf(fx.leaf))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServedSerial did not return")
	}
}

// Verification probes go through the scheduler's queue: however many
// verifications and triggers ask at once, one endpoint is never in two
// handshakes at the same time.
func TestSchedulerServedSerialNeverOverlapsAProbeOfTheSameEndpoint(t *testing.T) {
	fx := newFixture(t)
	var active, peak atomic.Int32
	var srv swappable
	cert := fx.leaf.TLSCertificate()
	srv.cert.Store(&cert)
	srv.hook = func(*tls.Certificate) {
		n := active.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(15 * time.Millisecond)
		active.Add(-1)
	}
	ts := probetest.StartTLSServer(t, srv.config())
	f := testFleet(time.Hour, 8, endpoint(t, "a", ts.Addr, "svc.test", fx.caFile))
	events := make(chan model.Event, 256)
	drain(t, events)
	s, _, _ := startScheduler(t, f, Options{Events: events, Jitter: -1})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if serial, err := s.ServedSerial(t.Context(), "a"); err != nil || serial != serialOf(fx.leaf) {
				t.Errorf("ServedSerial = %s, %v", serial, err)
			}
		})
		s.Trigger("a")
	}
	wg.Wait()
	if p := peak.Load(); p != 1 {
		t.Fatalf("%d handshakes with one endpoint at once; verification must wait for the scheduled probe", p)
	}
	if _, err := s.ServedSerial(t.Context(), "nope"); err == nil || !strings.Contains(err.Error(), "not a configured endpoint") {
		t.Errorf("unknown endpoint: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// The CLI's prober answers with the served serial, the probe's error, or
// a refusal of names it does not know.
func TestServedProberReportsSerialOrProbeError(t *testing.T) {
	fx := newFixture(t)
	ts := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	f := testFleet(time.Hour, 1,
		endpoint(t, "up", ts.Addr, "svc.test", fx.caFile),
		endpoint(t, "down", probetest.RefusedAddr(t), "svc.test", fx.caFile))
	p := NewServedProber(f, ProbeOptions{})
	if serial, err := p.ServedSerial(t.Context(), "up"); err != nil || serial != serialOf(fx.leaf) {
		t.Errorf("up: %s, %v", serial, err)
	}
	if _, err := p.ServedSerial(t.Context(), "down"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("down: %v, want the connection refused", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := p.ServedSerial(ctx, "up"); err == nil {
		t.Error("a cancelled verification probe succeeded")
	}
}

// BundleSerial reads what a bundle holds now, whatever its layout.
func TestBundleSerialReadsTheCurrentVersion(t *testing.T) {
	fx := newFixture(t)
	store := &rotate.Store{Dir: filepath.Join(t.TempDir(), "store"), AuditLog: "-", Roots: fx.ca.Pool()}
	if _, err := store.Publish(t.Context(), "web", rotate.Inputs{Fullchain: fx.leaf.FullchainPEM(), Key: fx.leaf.KeyPEM()}); err != nil {
		t.Fatal(err)
	}
	b := model.Bundle{Name: "web", Path: store.BundleDir("web"), Layout: model.LayoutAuto}
	if serial, err := BundleSerial(b); err != nil || serial != serialOf(fx.leaf) {
		t.Fatalf("BundleSerial = %s, %v", serial, err)
	}
	if _, err := BundleSerial(model.Bundle{Name: "gone", Path: filepath.Join(t.TempDir(), "gone"), Layout: model.LayoutAuto}); err == nil {
		t.Fatal("a missing bundle has a serial")
	}
}
