package probe

import (
	"context"
	"crypto/tls"
	"time"

	"certdeck/model"
)

// resumption is what the resumption check needs from the first handshake.
type resumption struct {
	ep         model.Endpoint
	base       *tls.Config // the first handshake's configuration
	clientCert *tls.Certificate
	clock      *tlsClock
	state      tls.ConnectionState
	capture    *ticketCapture
	deadline   time.Time
}

// checkResumption opens a second connection that asks the server to
// resume the first one's session: by presenting the first captured ticket,
// or, when a TLS 1.2 server issued no ticket but assigned a session ID, by
// that ID. checked is false when the check could not run (the second
// connection failed, or the session was not presented): never a false
// "does not resume".
func (p *prober) checkResumption(ctx context.Context, r resumption, sessionID []byte) (checked, resumed bool) {
	switch {
	case len(r.capture.sessions) > 0:
		return p.resumeTicket(ctx, r)
	case len(sessionID) > 0:
		return resumeBySessionID(ctx, r.ep, r.state, sessionID)
	}
	return false, false
}

// resumeTicket presents the first captured ticket and records the tickets
// issued on that connection (a second ticket is what tells a Go server's
// random prefixes from a key name). It offers the cheapest key exchange
// the server is likely to accept (resumptionGroups); a server that refuses
// it is asked again with the group its first handshake settled on, and
// remembered.
func (p *prober) resumeTicket(ctx context.Context, r resumption) (checked, resumed bool) {
	negotiated := r.state.CurveID
	groups := p.resumptionGroups(r.ep, negotiated)
	checked, resumed, err := p.presentTicket(ctx, r, groups)
	if err != nil && groups[0] == tls.CurveP256 && negotiated != tls.CurveP256 && isGroupAlert(err) {
		p.p256Refused.Store(r.ep.Target.Addr(), true)
		checked, resumed, _ = p.presentTicket(ctx, r, []tls.CurveID{negotiated})
	}
	return checked, resumed
}

func (p *prober) presentTicket(ctx context.Context, r resumption, groups []tls.CurveID) (checked, resumed bool, err error) {
	cfg := r.base.Clone()
	cfg.ClientSessionCache = &resumeCache{session: r.capture.sessions[0], capture: r.capture}
	cfg.CurvePreferences = groups
	observe(cfg, r.clientCert, r.clock)
	before := len(r.capture.tickets)
	h, err := handshake(ctx, r.ep, cfg)
	if err != nil {
		return false, false, err
	}
	defer h.tc.Close()
	// crypto/tls may decline to offer a cached session (an expired leaf,
	// before tlsClock; a version or cipher suite no longer offered): then
	// the server was never asked, and the check did not run.
	if hello, ok := parseClientHello(h.rec.out); !ok || !(hello.psk || hello.ticket) {
		return false, false, nil
	}
	_ = r.capture.await(h.tc, h.rec, before, ticketWait(h.latency), r.deadline)
	return true, h.tc.ConnectionState().DidResume, nil
}
