package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"certdeck/model"
)

// offeredALPN is what a probe offers on direct-TLS endpoints, like a
// browser would, so the observation shows whether the server picks h2.
var offeredALPN = []string{"h2", "http/1.1"}

// ProbeEndpoint connects to ep once, within one deadline (opt.Timeout)
// covering DNS, connect, STARTTLS and the handshake, and returns what it
// observed. It never returns nil and never panics on anything the network
// sends; a failure is an Observation with Error and ErrKind set. A server
// that refuses the connection for want of a client certificate is not a
// failure: its certificate was seen, and ClientCert says what happened.
//
// A name is resolved once (ProbeOptions.Resolver) and its addresses tried
// in order; with ep.AllIPs every address is probed on its own and listed
// in Observation.Addresses.
//
// When the server issues a session ticket (or, under TLS 1.2, a session
// ID), a second handshake presents it to check resumption (unless
// opt.NoResume, and see ResumeEvery); that check shares the deadline and
// its failure never turns a successful probe into an error: it is "not
// checked".
//
// A last, short TLS 1.2 handshake asks for a certificate of the key type
// the leaf does not have (other_key.go): Observation.AlsoServes.
func ProbeEndpoint(ctx context.Context, ep model.Endpoint, opt ProbeOptions) *model.Observation {
	return newProber(opt, nil).probe(ctx, ep)
}

// prober probes endpoints with shared options, a shared cache of the
// files endpoints refer to, and what it learned about servers' groups.
type prober struct {
	opt   ProbeOptions
	files *material
	// p256Refused holds the addresses whose server refused a P-256-only
	// resumption handshake, so it is not asked again (see resumptionGroups).
	p256Refused sync.Map
	// chains holds this prober's chain verifications (see chainCache).
	chains *chainCache
	// tickets remembers what each server's tickets showed (resume_policy.go).
	tickets *ticketMemory
	// admit spaces and limits probes (nil: none; see admission).
	admit *admission
	// history, when set, is the ticket history whose names confirm a key
	// name shown by one connection's tickets (resume_policy.go).
	history atomic.Pointer[TicketHistoryFile]
	// otherKeys remembers the servers that serve no certificate of the
	// other key type (otherKeyMemo, other_key.go).
	otherKeys sync.Map
}

func newProber(opt ProbeOptions, files *material) *prober {
	if files == nil {
		files = newMaterial()
	}
	return &prober{opt: opt, files: files, chains: newChainCache(), tickets: newTicketMemory()}
}

func (p *prober) probe(ctx context.Context, ep model.Endpoint) *model.Observation {
	start := p.opt.now()
	timeout := p.opt.timeout()
	begun := time.Now()
	dnsCtx, cancel := context.WithTimeout(ctx, timeout)
	addrs, err := p.addresses(dnsCtx, ep.Target)
	cancel()
	if err != nil {
		o := newObservation(ep, start)
		o.ErrKind, o.Error = classify(err, timeout)
		return o
	}
	// DNS counts against the probe's one deadline; waiting for a turn
	// (admission) does not.
	budget := timeout - time.Since(begun)
	if ep.AllIPs {
		return p.probeEveryAddress(ctx, ep, addrs, start, budget)
	}
	return p.probeAt(ctx, ep, addrs, start, budget)
}

func newObservation(ep model.Endpoint, start time.Time) *model.Observation {
	return &model.Observation{Endpoint: ep.Name, Time: start, HostChecked: hostToVerify(ep)}
}

// probeAt probes ep at the first of addrs that takes a connection (an
// address that refuses or cannot be reached gives way to the next, as
// net.Dialer does; one that does not answer uses up the deadline), within
// budget once admitted (rate and per-IP limits, keyed by the first
// address). Everything after the connection, the resumption check
// included, goes to the address that took it.
func (p *prober) probeAt(ctx context.Context, ep model.Endpoint, addrs []netip.Addr, start time.Time, budget time.Duration) *model.Observation {
	o := newObservation(ep, start)
	host := o.HostChecked
	timeout := p.opt.timeout()
	clientCert, err := p.clientCertificate(ep)
	if err != nil {
		o.ErrKind, o.Error = model.ErrProtocol, err.Error()
		return o
	}
	release, admitted := p.admit.wait(ctx, addrs[0])
	defer release()
	if !admitted {
		o.ErrKind, o.Error = classify(ctx.Err(), timeout)
		return o
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	deadline, _ := ctx.Deadline()

	clock := &tlsClock{deadline: deadline}
	cfg := p.clientConfig(pinned(ep, addrs[0]), clock)
	capture := &ticketCapture{}
	cfg.ClientSessionCache = capture
	seen := observe(cfg, clientCert, clock)

	h, at, err := firstHandshake(ctx, ep, addrs, cfg)
	if err != nil && !refusedClientCert(err, seen) && groupRefused(err, cfg) {
		cfg.CurvePreferences = nil // Go's defaults, post-quantum groups included
		seen = observe(cfg, clientCert, clock)
		h, err = handshake(ctx, at, cfg)
	}
	if h.rec != nil {
		o.IP = remoteIP(h.rec)
	}
	var state tls.ConnectionState
	switch {
	case err == nil:
		o.Latency = h.latency
		state = h.tc.ConnectionState()
		capture.grace = p.secondTicketGrace(serverKey(at, h.rec.RemoteAddr().String()), h.latency)
		alert := capture.await(h.tc, h.rec, 0, ticketWait(h.latency), deadline)
		capture.grace = 0
		o.ClientCert.Required = refusedClientCert(alert, seen)
		_ = h.tc.Close()
	case refusedClientCert(err, seen) && seen.state != nil:
		// TLS 1.2: the refusal ends the handshake itself, after the server
		// sent its certificate; report that certificate like any other.
		o.Latency = h.latency
		o.ClientCert.Required = true
		state = *seen.state
	default:
		o.ErrKind, o.Error = classify(err, timeout)
		return o
	}
	o.ClientCert.Requested, o.ClientCert.Sent = seen.requested, seen.sent

	o.TLSVersion = tls.VersionName(state.Version)
	o.Cipher = tls.CipherSuiteName(state.CipherSuite)
	o.ALPN = state.NegotiatedProtocol
	roots, rootsErr := p.trustRoots(ep)
	now := p.opt.now()
	p.verifyServed(o, state.PeerCertificates, roots, rootsErr, host, now)
	o.OCSP = describeStaple(state.OCSPResponse, state.PeerCertificates, roots, now)

	// A server that refused the connection established no session: its
	// session ID names nothing, and there is nothing to resume.
	if o.ClientCert.Required {
		o.Ticket = describeTickets(capture.tickets, nil)
	} else {
		sessionID := assignedSessionID(state.Version, h.rec)
		r := resumption{ep: at, base: cfg, clientCert: clientCert, clock: clock, state: state, capture: capture, deadline: deadline}
		o.Ticket = p.settleTickets(ctx, r, sessionID, serverKey(at, h.rec.RemoteAddr().String()))
	}
	if len(state.PeerCertificates) > 0 {
		p.checkOtherKey(ctx, o, at, serverKey(at, h.rec.RemoteAddr().String()), state.Version, state.PeerCertificates[0], roots, rootsErr, host, now)
	}
	return o
}

// firstHandshake runs the certificate handshake at the first of addrs that
// takes a connection; at is ep pinned to the address used.
func firstHandshake(ctx context.Context, ep model.Endpoint, addrs []netip.Addr, cfg *tls.Config) (h handshakeResult, at model.Endpoint, err error) {
	for i, a := range addrs {
		at = pinned(ep, a)
		h, err = handshake(ctx, at, cfg)
		if err == nil || i == len(addrs)-1 || !unreachable(err) {
			break
		}
	}
	return h, at, err
}

// unreachable reports whether err is a connect that failed at once (the
// address refuses, or has no route): another address of the name may work.
func unreachable(err error) bool {
	var se *stepError
	if !errors.As(err, &se) || se.step != stepDial {
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EADDRNOTAVAIL)
}

// handshakeResult is one connection's handshake. rec is the socket
// (recording the hellos), set once connected even when the handshake
// failed; latency runs from the start of the TCP connect to the end of the
// handshake (or to its failure).
type handshakeResult struct {
	tc      *tls.Conn
	rec     *wireRecorder
	latency time.Duration
}

// handshake dials, runs STARTTLS when the target needs it, and completes a
// TLS handshake.
func handshake(ctx context.Context, ep model.Endpoint, cfg *tls.Config) (handshakeResult, error) {
	d, err := connect(ctx, ep)
	if err != nil {
		return handshakeResult{rec: d.rec}, err
	}
	tc := tls.Client(d.rec, cfg)
	err = tc.HandshakeContext(ctx)
	h := handshakeResult{tc: tc, rec: d.rec, latency: time.Since(d.connectStart)}
	if err != nil {
		d.rec.Close()
		h.tc = nil
		return h, &stepError{step: stepHandshake, err: err}
	}
	return h, nil
}

// connected is a socket ready for the TLS handshake (STARTTLS done).
type connected struct {
	rec          *wireRecorder
	connectStart time.Time
}

// connect dials ep and runs STARTTLS when the target needs it. rec is set
// once connected, even when STARTTLS fails (for the resolved IP).
func connect(ctx context.Context, ep model.Endpoint) (connected, error) {
	d, err := dial(ctx, ep.Target)
	if err != nil {
		return connected{}, err
	}
	c := connected{rec: &wireRecorder{Conn: d.conn}, connectStart: d.connectStart}
	if ep.Target.Protocol != model.ProtoTLS {
		if err := startTLS(d.conn, ep.Target.Protocol); err != nil {
			d.conn.Close()
			return c, &stepError{step: stepStartTLS, err: err}
		}
	}
	return c, nil
}

// clientConfig builds the probe's TLS client configuration for ep; the
// caller adds the session cache and the observer (observe).
func (p *prober) clientConfig(ep model.Endpoint, clock *tlsClock) *tls.Config {
	cfg := &tls.Config{
		ServerName: ep.SNI,
		// Verification is done by hand in verifyServed: the probe must
		// complete the handshake with an expired, self-signed or wrong-host
		// certificate to report exactly what is wrong with it.
		InsecureSkipVerify: true, //nolint:gosec // verified manually, see verifyServed
		// TLS 1.0 and 1.1 are accepted so a legacy server shows its version
		// rather than a handshake failure.
		MinVersion:       tls.VersionTLS10,
		CurvePreferences: probeGroups,
		Time:             clock.now,
	}
	if ep.Target.Protocol == model.ProtoTLS {
		cfg.NextProtos = offeredALPN
	}
	return cfg
}

// clientCertificate loads ep's client_cert and client_key, nil when it
// has none.
func (p *prober) clientCertificate(ep model.Endpoint) (*tls.Certificate, error) {
	if ep.ClientCert == "" {
		return nil, nil
	}
	cert, err := p.files.clientCert(ep.ClientCert, ep.ClientKey)
	if err != nil {
		return nil, err
	}
	return &cert, nil
}

// trustRoots picks the roots for ep: its ca: file, else opt.Roots, else
// nil (the system roots). A ca: file that cannot be read is reported as the
// verification error.
func (p *prober) trustRoots(ep model.Endpoint) (*x509.CertPool, string) {
	if ep.CAFile == "" {
		return p.opt.Roots, ""
	}
	pool, err := p.files.trustRoots(ep.CAFile)
	if err != nil {
		return nil, err.Error()
	}
	return pool, ""
}

// hostToVerify is the name the certificate must match: the SNI sent, or
// the IP literal of the address when no name is known.
func hostToVerify(ep model.Endpoint) string {
	if ep.SNI != "" {
		return ep.SNI
	}
	return ep.Target.Host
}
