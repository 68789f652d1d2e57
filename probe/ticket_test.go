package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
)

// keyNamedConfig makes a Go server issue OpenSSL-style tickets: the key
// name first, then Go's own encrypted ticket. It stands in for nginx in
// unit tests (the nginx integration test checks the real thing).
func keyNamedConfig(cert tls.Certificate, name []byte) *tls.Config {
	cfg := serverConfig(cert)
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		t, err := cfg.EncryptTicket(cs, ss)
		return append(append([]byte(nil), name...), t...), err
	}
	cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		rest, ok := bytes.CutPrefix(identity, name)
		if !ok {
			return nil, nil // not ours: full handshake
		}
		return cfg.DecryptTicket(rest, cs)
	}
	return cfg
}

func TestTicketKeyNameIsFirst16Bytes(t *testing.T) {
	fx := newFixture(t)
	name := []byte("0123456789abcdef")
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := keyNamedConfig(fx.leaf.TLSCertificate(), name)
			cfg.MaxVersion = version
			srv := probetest.StartTLSServer(t, cfg)
			o := ProbeEndpoint(context.Background(), endpoint(t, "named", srv.Addr, "svc.test", fx.caFile), probeOpts())
			if o.Failed() {
				t.Fatalf("probe: %s", o.Error)
			}
			want := hex.EncodeToString(name)
			if o.Ticket.KeyName != want || o.Ticket.Opaque || !o.Ticket.Issued {
				t.Errorf("ticket = %+v, want key name %s, not opaque", o.Ticket, want)
			}
			if !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
				t.Errorf("ticket = %+v, want the ticket to resume", o.Ticket)
			}
		})
	}
}

func TestTicketThatDoesNotResumeIsReported(t *testing.T) {
	fx := newFixture(t)
	cfg := keyNamedConfig(fx.leaf.TLSCertificate(), []byte("0123456789abcdef"))
	cfg.UnwrapSession = func([]byte, tls.ConnectionState) (*tls.SessionState, error) {
		return nil, nil // the key that encrypted it is gone
	}
	srv := probetest.StartTLSServer(t, cfg)
	o := ProbeEndpoint(context.Background(), endpoint(t, "x", srv.Addr, "svc.test", fx.caFile), probeOpts())
	if !o.Ticket.ResumeChecked || o.Ticket.Resumed {
		t.Fatalf("ticket = %+v, want checked and not resumed", o.Ticket)
	}
}

func TestProbeWithoutTicketsDoesNotWaitLong(t *testing.T) {
	fx := newFixture(t)
	cfg := serverConfig(fx.leaf.TLSCertificate())
	cfg.SessionTicketsDisabled = true
	srv := probetest.StartTLSServer(t, cfg)
	start := time.Now()
	o := ProbeEndpoint(context.Background(), endpoint(t, "x", srv.Addr, "svc.test", fx.caFile), probeOpts())
	if o.Failed() || o.Ticket.Issued || o.Ticket.ResumeChecked {
		t.Fatalf("observation = %+v, want success with no ticket", o.Ticket)
	}
	// The wait is the handshake latency plus 50 ms, far below the timeout.
	if el := time.Since(start); el > testTimeout/2 {
		t.Fatalf("probe took %v: it waited out the deadline for a ticket that never comes", el)
	}
}

func TestTicketCaptureStopsReadingOnceStored(t *testing.T) {
	fx := newFixture(t)
	// A server that keeps the connection open and idle after its ticket:
	// the read must end at the ticket, not at the wait.
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	ep := endpoint(t, "x", srv.Addr, "svc.test", fx.caFile)
	cfg := newProber(probeOpts(), nil).clientConfig(ep, &tlsClock{})
	capture := &ticketCapture{}
	cfg.ClientSessionCache = capture
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	h, err := handshake(ctx, ep, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer h.tc.Close()
	start := time.Now()
	_ = capture.await(h.tc, h.rec, 0, 2*time.Second, time.Time{})
	if len(capture.tickets) != 1 {
		t.Fatalf("captured %d tickets, want 1", len(capture.tickets))
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("await took %v after the ticket arrived", el)
	}
}

func TestDescribeTicketsClassifiesWhatResumes(t *testing.T) {
	name := bytes.Repeat([]byte{0xab}, 16)
	// Encrypted tickets are longer than any session handle: key name (or
	// IV), state, MAC.
	named := func(tail byte) []byte {
		return append(append([]byte(nil), name...), bytes.Repeat([]byte{tail}, 100)...)
	}
	random := func(seed byte) []byte { return bytes.Repeat([]byte{seed}, 120) }
	handle := func(seed byte) []byte { return bytes.Repeat([]byte{seed}, 32) } // OpenSSL TLS 1.3, tickets off
	cases := []struct {
		name      string
		tickets   [][]byte
		sessionID []byte
		kind      model.TicketKind
		keyName   string
		opaque    bool
		issued    bool
	}{
		{name: "none", tickets: nil},
		{name: "one named", tickets: [][]byte{named(1)}, kind: model.TicketNamed, keyName: hex.EncodeToString(name), issued: true},
		{name: "same prefix twice", tickets: [][]byte{named(1), named(2)}, kind: model.TicketNamed, keyName: hex.EncodeToString(name), issued: true},
		{name: "prefix changes", tickets: [][]byte{random(1), random(2)}, kind: model.TicketOpaque, opaque: true, issued: true},
		{name: "short handles whose prefix varies", tickets: [][]byte{handle(1), handle(2), handle(3)}, kind: model.TicketStateful, issued: true},
		{name: "one short handle", tickets: [][]byte{{1, 2, 3}}, kind: model.TicketStateful, issued: true},
		{name: "a handle then an encrypted ticket", tickets: [][]byte{{1, 2, 3}, named(1)}, kind: model.TicketOpaque, opaque: true, issued: true},
		{name: "TLS 1.2 session ID, no ticket", sessionID: handle(9), kind: model.TicketSessionID},
		{name: "ticket and session ID", tickets: [][]byte{named(1)}, sessionID: handle(9), kind: model.TicketNamed, keyName: hex.EncodeToString(name), issued: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := describeTickets(tc.tickets, tc.sessionID)
			if got.Kind != tc.kind || got.KeyName != tc.keyName || got.Opaque != tc.opaque || got.Issued != tc.issued {
				t.Fatalf("got %+v, want kind %q key %q opaque %v issued %v", got, tc.kind, tc.keyName, tc.opaque, tc.issued)
			}
		})
	}
}

func TestGoServerTicketsAreOpaque(t *testing.T) {
	fx := newFixture(t)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := serverConfig(fx.leaf.TLSCertificate())
			cfg.MaxVersion = version
			srv := probetest.StartTLSServer(t, cfg)
			o := ProbeEndpoint(context.Background(), endpoint(t, "go", srv.Addr, "svc.test", fx.caFile), probeOpts())
			if !o.Ticket.Issued || !o.Ticket.Opaque || o.Ticket.KeyName != "" || !o.Ticket.Resumed {
				t.Fatalf("ticket = %+v, want issued, opaque, no key name, resumed", o.Ticket)
			}
		})
	}
}
