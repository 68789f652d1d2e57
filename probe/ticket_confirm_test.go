package probe

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
)

// dovecotConfig stands in for Dovecot: every connection is served by a
// login process with its own random ticket key, so the two TLS 1.3
// tickets of one connection share a 16-byte prefix, the next
// connection's share another, and no ticket resumes elsewhere.
func dovecotConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS13, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		name := make([]byte, keyNameLen)
		_, _ = rand.Read(name)
		cfg := keyNamedConfig(cert, name)
		cfg.MinVersion = tls.VersionTLS13
		return cfg, nil
	}}
}

// checkTwice runs `check` twice over one endpoint at addr with a ticket
// history in dir, and returns both observations.
func checkTwice(t *testing.T, fx *fixture, addr, historyPath string) [2]*model.Observation {
	t.Helper()
	fleet := &model.Fleet{Timeout: testTimeout, Concurrency: 1, Endpoints: []model.Endpoint{endpoint(t, "mail", addr, "svc.test", fx.caFile)}}
	var out [2]*model.Observation
	for i := range out {
		history, err := OpenTicketHistory(historyPath)
		if err != nil {
			t.Fatal(err)
		}
		opt := countingOpts()
		opt.NoResume = true
		state, _ := Check(context.Background(), fleet, CheckOptions{Probe: opt, TicketHistory: history, SkipBundles: true})
		out[i] = state.Endpoint("mail").Last
		if out[i].Failed() {
			t.Fatalf("check %d: %s", i+1, out[i].Error)
		}
	}
	return out
}

// Plain `check` (no --resumption) must not take the shared prefix of one
// connection's two tickets for a key name: it says opaque, as
// `check --resumption`, the console and README do, and writes nothing to
// the ticket history (each run used to append a new "key").
func TestDovecotTicketsAreOpaqueWithoutResumption(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.TwoTicketsServer(t, dovecotConfig(fx.leaf.TLSCertificate()))
	path := filepath.Join(t.TempDir(), TicketHistoryName)
	for i, o := range checkTwice(t, fx, srv.Addr, path) {
		if o.Ticket.Kind != model.TicketOpaque || o.Ticket.KeyName != "" || !o.Ticket.Opaque {
			t.Errorf("check %d: ticket %+v, want opaque with no key name", i+1, o.Ticket)
		}
	}
	if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
		t.Errorf("the ticket history holds %q, want nothing", data)
	}
}

// An nginx-like server (two tickets per connection, one key for every
// connection) is still named: the first run confirms the name by the
// second handshake, later runs by the history, in one handshake.
func TestSharedKeyNameIsConfirmedOnceThenByTheHistory(t *testing.T) {
	fx := newFixture(t)
	name := []byte("0123456789abcdef")
	cfg := keyNamedConfig(fx.leaf.TLSCertificate(), name)
	cfg.MinVersion = tls.VersionTLS13
	srv := probetest.TwoTicketsServer(t, cfg)
	path := filepath.Join(t.TempDir(), TicketHistoryName)
	obs := checkTwice(t, fx, srv.Addr, path)
	for i, o := range obs {
		if o.Ticket.Kind != model.TicketNamed || o.Ticket.KeyName != hex.EncodeToString(name) {
			t.Errorf("check %d: ticket %+v, want named %x", i+1, o.Ticket, name)
		}
	}
	if !obs[0].Ticket.ResumeChecked || obs[1].Ticket.ResumeChecked {
		t.Errorf("resumption checked: first run %v, second %v; want the second handshake on the first run only",
			obs[0].Ticket.ResumeChecked, obs[1].Ticket.ResumeChecked)
	}
	if got := srv.Accepted(); got != 3 {
		t.Errorf("%d connections over two runs, want 3 (two to confirm the name, then one)", got)
	}
}

// The console's prober remembers a Dovecot as opaque: a later probe whose
// two tickets share a prefix the last connection did not have is opaque
// again without a second handshake.
func TestDovecotSeenBeforeCostsOneHandshake(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.TwoTicketsServer(t, dovecotConfig(fx.leaf.TLSCertificate()))
	opt := countingOpts()
	opt.ResumeEvery = time.Hour
	p := newProber(opt, nil)
	ep := endpoint(t, "mail", srv.Addr, "svc.test", fx.caFile)
	for i, want := range []int{2, 1, 1} {
		before := srv.Accepted()
		o := p.probe(context.Background(), ep)
		if o.Failed() || o.Ticket.Kind != model.TicketOpaque || o.Ticket.KeyName != "" {
			t.Fatalf("probe %d: error %q, ticket %+v, want opaque", i+1, o.Error, o.Ticket)
		}
		if got := srv.Accepted() - before; got != want {
			t.Errorf("probe %d: %d connections, want %d", i+1, got, want)
		}
	}
}
