package probe

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// The resumption check judges the server's ticket keys, not its
// certificate: a server with an expired leaf that resumes must be reported
// as resuming (Go's client drops such a session before offering it unless
// the probe's TLS clock keeps the leaf valid).
func TestResumptionIsCheckedWhenTheLeafHasExpired(t *testing.T) {
	fx := newFixture(t)
	now := time.Now()
	expired := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"},
		NotBefore: now.AddDate(0, -3, 0), NotAfter: now.AddDate(0, 0, -2)}))
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := serverConfig(expired.TLSCertificate())
			cfg.MaxVersion = version
			srv := probetest.StartTLSServer(t, cfg)
			ep := endpoint(t, "expired", srv.Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() || o.Verified {
				t.Fatalf("probe: %s, verified=%v; want the expired leaf seen and not verified", o.Error, o.Verified)
			}
			if !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
				t.Fatalf("ticket = %+v, want checked and resumed: the server accepts its own ticket", o.Ticket)
			}
		})
	}
}

// The TLS clock is set back only as far as needed: it reads no later than
// the leaf's expiry until the probe's deadline, and is the real clock for
// a leaf that outlives the deadline.
func TestTLSClockKeepsTheLeafValidUntilTheDeadline(t *testing.T) {
	deadline := time.Now().Add(3 * time.Second)
	expired := time.Now().Add(-48 * time.Hour)
	c := &tlsClock{deadline: deadline}
	c.keepValid(time.Now().Add(time.Hour))
	if d := time.Since(c.now()); d < -time.Second || d > time.Second {
		t.Fatalf("clock moved by %v for a valid leaf", d)
	}
	c.keepValid(expired)
	if got := c.now(); got.After(expired) || expired.Sub(got) > 4*time.Second {
		t.Fatalf("clock = %v, want just before the leaf's expiry %v", got, expired)
	}
}

// A check that cannot run is "not checked", never "does not resume": when
// crypto/tls declines to present the session (here: an expired leaf and a
// TLS clock that was not set back), the server was never asked.
func TestResumptionNotCheckedWhenTheSessionIsNotPresented(t *testing.T) {
	fx := newFixture(t)
	now := time.Now()
	expired := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"},
		NotBefore: now.AddDate(0, -3, 0), NotAfter: now.AddDate(0, 0, -2)}))
	srv := probetest.StartTLSServer(t, serverConfig(expired.TLSCertificate()))
	ep := endpoint(t, "x", srv.Addr, "svc.test", fx.caFile)
	p := newProber(probeOpts(), nil)
	clock := &tlsClock{} // no deadline: never set back
	cfg := p.clientConfig(ep, clock)
	capture := &ticketCapture{}
	cfg.ClientSessionCache = capture
	observe(cfg, nil, clock)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	h, err := handshake(ctx, ep, cfg)
	if err != nil {
		t.Fatal(err)
	}
	deadline, _ := ctx.Deadline()
	_ = capture.await(h.tc, h.rec, 0, time.Second, deadline)
	state := h.tc.ConnectionState()
	h.tc.Close()
	if len(capture.sessions) == 0 {
		t.Fatal("no ticket captured")
	}
	r := resumption{ep: ep, base: cfg, clock: clock, state: state, capture: capture, deadline: deadline}
	checked, resumed, err := p.presentTicket(ctx, r, []tls.CurveID{state.CurveID})
	if err != nil || checked || resumed {
		t.Fatalf("checked=%v resumed=%v err=%v; want not checked (the ticket never left the client)", checked, resumed, err)
	}
}

// statefulConfig makes a Go server behave like OpenSSL under TLS 1.3 with
// tickets off: each ticket is a 32-byte random handle into a server-side
// cache, so the prefix varies although no key encrypts anything.
func statefulConfig(cert tls.Certificate) *tls.Config {
	cfg := serverConfig(cert)
	var mu sync.Mutex
	cache := map[string]*tls.SessionState{}
	cfg.WrapSession = func(_ tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		handle := make([]byte, 32)
		_, _ = rand.Read(handle)
		mu.Lock()
		cache[string(handle)] = ss
		mu.Unlock()
		return handle, nil
	}
	cfg.UnwrapSession = func(identity []byte, _ tls.ConnectionState) (*tls.SessionState, error) {
		mu.Lock()
		defer mu.Unlock()
		return cache[string(identity)], nil
	}
	return cfg
}

func TestStatefulTicketsAreNotCalledOpaque(t *testing.T) {
	fx := newFixture(t)
	cfg := statefulConfig(fx.leaf.TLSCertificate())
	srv := probetest.StartTLSServer(t, cfg)
	o := ProbeEndpoint(context.Background(), endpoint(t, "x", srv.Addr, "svc.test", fx.caFile), probeOpts())
	if o.Ticket.Kind != model.TicketStateful || o.Ticket.Opaque || o.Ticket.KeyName != "" {
		t.Fatalf("ticket = %+v, want kind stateful, not opaque, no key name", o.Ticket)
	}
	if !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
		t.Fatalf("ticket = %+v, want the handle to resume", o.Ticket)
	}
}

// recordingServer serves TLS and keeps every ClientHello as sent on the
// wire, so a test can read the key shares (which crypto/tls shows a server
// nowhere) and, from ClientHelloInfo, the groups listed.
type recordingServer struct {
	*probetest.Server
	mu     sync.Mutex
	hellos []clientHelloFacts
	groups [][]tls.CurveID
}

func startRecordingServer(t *testing.T, cfg *tls.Config) *recordingServer {
	t.Helper()
	r := &recordingServer{}
	cfg = cfg.Clone()
	// Recorded before the server answers, so a probe that has returned
	// has had every one of its hellos recorded.
	cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		// The server's recorder "in" holds what the client wrote.
		hello, ok := parseClientHello(h.Conn.(*wireRecorder).in)
		if !ok {
			return nil, errors.New("test server: cannot parse the ClientHello")
		}
		r.mu.Lock()
		r.groups = append(r.groups, h.SupportedCurves)
		r.hellos = append(r.hellos, hello)
		r.mu.Unlock()
		return nil, nil
	}
	r.Server = probetest.Serve(t, func(c net.Conn) {
		tc := tls.Server(&wireRecorder{Conn: c}, cfg)
		if err := tc.Handshake(); err == nil {
			buf := make([]byte, 512)
			for {
				if _, err := tc.Read(buf); err != nil {
					break
				}
			}
		}
	})
	return r
}

func (r *recordingServer) seen() ([]clientHelloFacts, [][]tls.CurveID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]clientHelloFacts(nil), r.hellos...), append([][]tls.CurveID(nil), r.groups...)
}

// The resumption check offers P-256 alone, whose key exchange is the
// cheapest, to a server that settled on X25519: the key share on the wire
// is P-256's (Go ignores the order of CurvePreferences, so listing X25519
// too would put an X25519 share on the wire instead).
func TestResumptionOffersOnlyAP256Share(t *testing.T) {
	fx := newFixture(t)
	srv := startRecordingServer(t, serverConfig(fx.leaf.TLSCertificate()))
	o := ProbeEndpoint(context.Background(), endpoint(t, "x", srv.Addr, "svc.test", fx.caFile), countingOpts())
	if o.Failed() || !o.Ticket.Resumed {
		t.Fatalf("probe: %s, ticket %+v; want a resumed probe", o.Error, o.Ticket)
	}
	hellos, groups := srv.seen()
	if len(hellos) != 2 || len(groups) != 2 {
		t.Fatalf("server saw %d ClientHellos (%d parsed), want 2", len(groups), len(hellos))
	}
	if got := hellos[0].keyShares; len(got) != 1 || got[0] != tls.X25519 {
		t.Errorf("certificate probe key shares = %v, want [X25519]", got)
	}
	if got := hellos[1].keyShares; len(got) != 1 || got[0] != tls.CurveP256 || !hellos[1].psk {
		t.Errorf("resumption key shares = %v (psk %v), want [P-256] with the ticket", got, hellos[1].psk)
	}
	if got := groups[1]; len(got) != 1 || got[0] != tls.CurveP256 {
		t.Errorf("resumption lists groups %v, want P-256 alone", got)
	}
}

// A server that refuses P-256 still gets its resumption checked, with the
// group it settled on, and is not offered P-256 again by the same prober.
func TestResumptionFallsBackWhenP256IsRefused(t *testing.T) {
	fx := newFixture(t)
	cfg := serverConfig(fx.leaf.TLSCertificate())
	cfg.CurvePreferences = []tls.CurveID{tls.X25519}
	srv := startRecordingServer(t, cfg)
	p := newProber(probeOpts(), nil)
	ep := endpoint(t, "x", srv.Addr, "svc.test", fx.caFile)
	for round := 1; round <= 2; round++ {
		o := p.probe(context.Background(), ep)
		if o.Failed() || !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
			t.Fatalf("round %d: probe %s, ticket %+v; want checked and resumed", round, o.Error, o.Ticket)
		}
	}
	hellos, _ := srv.seen()
	var shares []tls.CurveID
	for _, h := range hellos {
		shares = append(shares, h.keyShares...)
	}
	want := []tls.CurveID{tls.X25519, tls.CurveP256, tls.X25519, tls.X25519, tls.X25519}
	if len(shares) != len(want) {
		t.Fatalf("key shares over two probes = %v, want %v (P-256 tried once)", shares, want)
	}
	for i := range want {
		if shares[i] != want[i] {
			t.Fatalf("key shares over two probes = %v, want %v (P-256 tried once)", shares, want)
		}
	}
}
