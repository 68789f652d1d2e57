package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"time"

	"certdeck/model"
)

// offeredALPN is what a probe offers on direct-TLS endpoints, like a
// browser would, so the observation shows whether the server picks h2.
var offeredALPN = []string{"h2", "http/1.1"}

// ProbeEndpoint connects to ep once, within one deadline (opt.Timeout)
// covering DNS, connect, STARTTLS and the handshake, and returns what it
// observed. It never returns nil and never panics on anything the network
// sends; a failure is an Observation with Error and ErrKind set.
//
// When the server issues a session ticket, a second handshake presents it
// to check resumption (unless opt.NoResume); that check shares the deadline
// and its failure never turns a successful probe into an error.
func ProbeEndpoint(ctx context.Context, ep model.Endpoint, opt ProbeOptions) *model.Observation {
	return newProber(opt, nil).probe(ctx, ep)
}

// prober probes endpoints with shared options and a shared cache of the
// files endpoints refer to.
type prober struct {
	opt   ProbeOptions
	files *material
}

func newProber(opt ProbeOptions, files *material) *prober {
	if files == nil {
		files = newMaterial()
	}
	return &prober{opt: opt, files: files}
}

func (p *prober) probe(ctx context.Context, ep model.Endpoint) *model.Observation {
	o := &model.Observation{Endpoint: ep.Name, Time: p.opt.now()}
	timeout := p.opt.timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	cfg, err := p.clientConfig(ep)
	if err != nil {
		o.ErrKind, o.Error = model.ErrProtocol, err.Error()
		return o
	}
	capture := &ticketCapture{}
	cfg.ClientSessionCache = capture

	tc, raw, latency, err := handshake(ctx, ep, cfg)
	if err != nil && groupRefused(err, cfg) {
		cfg.CurvePreferences = nil // Go's defaults, post-quantum groups included
		tc, raw, latency, err = handshake(ctx, ep, cfg)
	}
	if raw != nil {
		o.IP = remoteIP(raw)
	}
	if err != nil {
		o.ErrKind, o.Error = classify(err, timeout)
		return o
	}
	o.Latency = latency
	state := tc.ConnectionState()
	capture.await(tc, raw, 0, ticketWait(latency), deadline)
	_ = tc.Close()

	o.TLSVersion = tls.VersionName(state.Version)
	o.Cipher = tls.CipherSuiteName(state.CipherSuite)
	o.ALPN = state.NegotiatedProtocol
	roots, rootsErr := p.trustRoots(ep)
	verifyServed(o, state.PeerCertificates, roots, rootsErr, hostToVerify(ep), p.opt.now())
	o.OCSP = describeStaple(state.OCSPResponse, state.PeerCertificates)

	if len(capture.sessions) > 0 && !p.opt.NoResume {
		o.Ticket.ResumeChecked, o.Ticket.Resumed = checkResumption(ctx, ep, cfg, state.CurveID, capture, deadline)
	}
	resumeChecked, resumed := o.Ticket.ResumeChecked, o.Ticket.Resumed
	o.Ticket = describeTickets(capture.tickets)
	o.Ticket.ResumeChecked, o.Ticket.Resumed = resumeChecked, resumed
	return o
}

// handshake dials, runs STARTTLS when the target needs it, and completes a
// TLS handshake. raw is returned even on failure once connected (for the
// resolved IP). latency runs from the start of the TCP connect to the end
// of the handshake.
func handshake(ctx context.Context, ep model.Endpoint, cfg *tls.Config) (tc *tls.Conn, raw net.Conn, latency time.Duration, err error) {
	d, err := dial(ctx, ep.Target)
	if err != nil {
		return nil, nil, 0, err
	}
	conn := d.conn
	if ep.Target.Protocol != model.ProtoTLS {
		if err := startTLS(conn, ep.Target.Protocol); err != nil {
			conn.Close()
			return nil, conn, 0, &stepError{step: stepStartTLS, err: err}
		}
	}
	tc = tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, conn, 0, &stepError{step: stepHandshake, err: err}
	}
	return tc, conn, time.Since(d.connectStart), nil
}

// checkResumption opens a second connection that presents the first
// captured session, and records the tickets issued on it (a second ticket
// is what tells a Go server's random prefixes from a key name). It offers
// the cheapest key exchange the server accepts (see resumptionGroups):
// this second handshake is the main cost a probe adds to a bare handshake.
func checkResumption(ctx context.Context, ep model.Endpoint, base *tls.Config, negotiated tls.CurveID, capture *ticketCapture, deadline time.Time) (checked, resumed bool) {
	cfg := base.Clone()
	cfg.ClientSessionCache = &resumeCache{session: capture.sessions[0], capture: capture}
	cfg.CurvePreferences = resumptionGroups(negotiated)
	before := len(capture.tickets)
	tc, raw, latency, err := handshake(ctx, ep, cfg)
	if err != nil {
		return false, false
	}
	defer tc.Close()
	capture.await(tc, raw, before, ticketWait(latency), deadline)
	return true, tc.ConnectionState().DidResume
}

// clientConfig builds the probe's TLS client configuration for ep.
func (p *prober) clientConfig(ep model.Endpoint) (*tls.Config, error) {
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
	}
	if ep.Target.Protocol == model.ProtoTLS {
		cfg.NextProtos = offeredALPN
	}
	if ep.ClientCert != "" {
		cert, err := p.files.clientCert(ep.ClientCert, ep.ClientKey)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
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
