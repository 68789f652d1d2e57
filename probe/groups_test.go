package probe

import (
	"context"
	"crypto/tls"
	"slices"
	"sync"
	"testing"

	"certdeck/demo/pki"
	"certdeck/probe/probetest"
)

// helloRecorder makes server configs that record the key-exchange groups
// each ClientHello offers.
type helloRecorder struct {
	mu     sync.Mutex
	hellos [][]tls.CurveID
}

func (r *helloRecorder) config(cert tls.Certificate, groups []tls.CurveID) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: groups}
	cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		r.mu.Lock()
		r.hellos = append(r.hellos, slices.Clone(h.SupportedCurves))
		r.mu.Unlock()
		return nil, nil
	}
	return cfg
}

func (r *helloRecorder) seen() [][]tls.CurveID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.hellos)
}

// A probe must not make every server on the fleet do post-quantum key
// exchange for a conversation that carries no secret.
func TestProbeOffersClassicalGroupsOnly(t *testing.T) {
	fx := newFixture(t)
	leaf := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	var rec helloRecorder
	srv := probetest.StartTLSServer(t, rec.config(leaf.TLSCertificate(), nil))

	o := ProbeEndpoint(context.Background(), endpoint(t, "web", srv.Addr, "svc.test", fx.caFile), countingOpts())
	if o.Failed() || !o.Ticket.Resumed {
		t.Fatalf("probe: %s %s, resumed=%v; want success with resumption", o.ErrKind, o.Error, o.Ticket.Resumed)
	}
	hellos := rec.seen()
	if len(hellos) != 2 {
		t.Fatalf("server saw %d ClientHellos, want 2 (certificate probe, resumption check)", len(hellos))
	}
	for i, groups := range hellos {
		for _, g := range groups {
			if g == tls.X25519MLKEM768 || g == tls.SecP256r1MLKEM768 || g == tls.SecP384r1MLKEM1024 {
				t.Errorf("ClientHello %d offers %v; a probe should offer classical groups only", i+1, g)
			}
		}
	}
}

// Servers restricted to one group still get probed and resume: a
// post-quantum-only server through the fallback to Go's defaults, a
// P-384-only server (a common hardening recipe) through a
// HelloRetryRequest on both handshakes.
func TestProbeReachesServersWithOneGroup(t *testing.T) {
	fx := newFixture(t)
	leaf := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	for _, group := range []tls.CurveID{tls.X25519MLKEM768, tls.CurveP384, tls.X25519} {
		t.Run(group.String(), func(t *testing.T) {
			var rec helloRecorder
			srv := probetest.StartTLSServer(t, rec.config(leaf.TLSCertificate(), []tls.CurveID{group}))

			o := ProbeEndpoint(context.Background(), endpoint(t, "web", srv.Addr, "svc.test", fx.caFile), probeOpts())
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
			}
			if !o.Verified || o.Leaf().Serial == "" {
				t.Errorf("verified=%v serial=%q, want the certificate read and verified", o.Verified, o.Leaf().Serial)
			}
			if !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
				t.Errorf("ticket = %+v, want checked and resumed", o.Ticket)
			}
		})
	}
}

// The fallback is for a refused key exchange only: a server that refuses
// for another reason is not contacted a second time.
func TestGroupFallbackOnlyForGroupAlerts(t *testing.T) {
	for _, tc := range []struct {
		alert byte
		want  int
	}{{40, 2}, {112, 1}} { // handshake_failure, unrecognized_name
		srv := probetest.Alert(t, tc.alert)
		ep := endpoint(t, "alert", srv.Addr, "svc.test", "")
		o := ProbeEndpoint(context.Background(), ep, probeOpts())
		if !o.Failed() {
			t.Fatalf("alert %d: probe succeeded", tc.alert)
		}
		srv.Close()
		if got := srv.Accepted(); got != tc.want {
			t.Errorf("alert %d: server contacted %d times, want %d", tc.alert, got, tc.want)
		}
	}
}
