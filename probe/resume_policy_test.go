package probe

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
)

// With ResumeEvery (the console), resumption is checked again only when
// the ticket key name changes or the last answer is older than the window;
// meanwhile the last answer is reported with when it was obtained.
func TestResumptionRecheckedOnlyWhenTheKeyChangesOrTheAnswerIsOld(t *testing.T) {
	fx := newFixture(t)
	var name atomic.Pointer[[]byte]
	first, second := []byte("first key name!!"), []byte("second key name!")
	name.Store(&first)
	cfg := serverConfig(fx.leaf.TLSCertificate())
	named := keyNamedConfig(fx.leaf.TLSCertificate(), nil)
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		t, err := named.EncryptTicket(cs, ss)
		return append(append([]byte(nil), *name.Load()...), t...), err
	}
	cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		n := *name.Load()
		if len(identity) < len(n) || string(identity[:len(n)]) != string(n) {
			return nil, nil
		}
		return named.DecryptTicket(identity[len(n):], cs)
	}
	srv := probetest.StartTLSServer(t, cfg)
	t0 := time.Now()
	now := t0
	opt := countingOpts()
	opt.Clock = func() time.Time { return now }
	opt.ResumeEvery = time.Hour
	p := newProber(opt, nil)
	ep := endpoint(t, "web", srv.Addr, "svc.test", fx.caFile)

	steps := []struct {
		what        string
		at          time.Duration
		key         []byte
		connections int
		checkedAt   time.Duration
	}{
		{"first probe", 0, first, 2, 0},
		{"same key a minute later", time.Minute, first, 1, 0},
		{"new key name", 2 * time.Minute, second, 2, 2 * time.Minute},
		{"same key again", 3 * time.Minute, second, 1, 2 * time.Minute},
		{"an hour after the last check", 63 * time.Minute, second, 2, 63 * time.Minute},
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		name.Store(&s.key)
		before := srv.Accepted()
		o := p.probe(context.Background(), ep)
		if o.Failed() {
			t.Fatalf("%s: %s", s.what, o.Error)
		}
		if got := srv.Accepted() - before; got != s.connections {
			t.Errorf("%s: %d connections, want %d", s.what, got, s.connections)
		}
		tk := o.Ticket
		if tk.Kind != model.TicketNamed || tk.KeyName != hex.EncodeToString(s.key) {
			t.Errorf("%s: ticket %+v, want named %x", s.what, tk, s.key)
		}
		if !tk.ResumeChecked || !tk.Resumed || !tk.ResumeCheckedAt.Equal(t0.Add(s.checkedAt)) {
			t.Errorf("%s: resumed=%v (checked %v) at %v, want resumed, checked at +%v", s.what, tk.Resumed, tk.ResumeChecked,
				tk.ResumeCheckedAt.Sub(t0), s.checkedAt)
		}
	}
}

// A lone ticket from a server known to issue opaque tickets is opaque, and
// `check` (NoResume) learns that once per server, not once per endpoint:
// endpoints naming the same server cost one handshake each after the
// first, and report the answer the first one's second handshake got.
func TestLoneTicketsAreClassifiedFromWhatTheServerShowedBefore(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	var eps []model.Endpoint
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		eps = append(eps, endpoint(t, n, srv.Addr, "svc.test", fx.caFile))
	}
	opt := countingOpts()
	opt.NoResume = true
	obs := Round(context.Background(), testFleet(time.Minute, 1, eps...), RoundOptions{Probe: opt})
	for _, o := range obs {
		if o.Failed() || o.Ticket.Kind != model.TicketOpaque || o.Ticket.KeyName != "" {
			t.Errorf("%s: %s, ticket %+v; want opaque tickets", o.Endpoint, o.Error, o.Ticket)
		}
		if !o.Ticket.ResumeChecked || !o.Ticket.Resumed || !o.Ticket.ResumeCheckedAt.Equal(obs[0].Ticket.ResumeCheckedAt) {
			t.Errorf("%s: ticket %+v, want the answer of %s's check (%v)", o.Endpoint, o.Ticket, obs[0].Endpoint, obs[0].Ticket.ResumeCheckedAt)
		}
	}
	if got, want := srv.Accepted(), len(eps)+1; got != want {
		t.Errorf("%d connections for %d endpoints of one server, want %d", got, len(eps), want)
	}
}
