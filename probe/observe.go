package probe

import (
	"crypto/tls"
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// handshakeSeen records what crypto/tls shows a client mid-handshake and
// hides once a handshake fails: the server's certificates (with version,
// cipher and staple) as they arrive, and whether the server asked for a
// client certificate. A TLS 1.2 server that requires a client certificate
// fails the handshake only after it has sent its own, and that certificate
// is still what the operator needs to see.
type handshakeSeen struct {
	state     *tls.ConnectionState // at certificate verification; nil until then
	requested bool                 // the server sent a CertificateRequest
	sent      bool                 // and the probe answered with the endpoint's client_cert
}

// observe makes cfg report into a new handshakeSeen. cert is the
// endpoint's client certificate, nil when none is configured.
func observe(cfg *tls.Config, cert *tls.Certificate, clock *tlsClock) *handshakeSeen {
	seen := &handshakeSeen{}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		seen.state = &cs
		if len(cs.PeerCertificates) > 0 {
			clock.keepValid(cs.PeerCertificates[0].NotAfter)
		}
		return nil
	}
	// GetClientCertificate runs only when the server sends a
	// CertificateRequest, which is how the request is known. The configured
	// certificate is sent whatever CA names the server lists (as OpenSSL
	// and curl do): the server, not the probe, decides whether it is
	// acceptable, and a refusal is then reported as such.
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		seen.requested = true
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		seen.sent = true
		return cert, nil
	}
	return seen
}

// refusedClientCert reports whether err is the alert a server sends after
// asking for a client certificate and not getting one it accepts:
// certificate_required under TLS 1.3 (HAProxy, nginx, Go), handshake_failure
// (OpenSSL) or bad_certificate (Go) under TLS 1.2, access_denied or
// unknown_ca from some others. Only meaningful when seen.requested.
func refusedClientCert(err error, seen *handshakeSeen) bool {
	if !seen.requested {
		return false
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "remote error" {
		return false
	}
	switch opErr.Err.Error() {
	case "tls: certificate required", "tls: handshake failure", "tls: bad certificate",
		"tls: access denied", "tls: unknown certificate authority":
		return true
	}
	return false
}

// tlsClock is the time crypto/tls sees during one probe (tls.Config.Time).
// It is the real clock, set back when the served leaf expires before the
// probe's deadline: Go's client silently drops a cached session whose leaf
// has expired (loadSession in crypto/tls) and would never present the
// ticket, so the resumption check would answer "does not resume" for any
// server with an expired certificate although the check judges the
// server's ticket keys, not its certificate. Nothing else in the handshake
// reads this clock here: certificates are verified by hand (verifyServed)
// against ProbeOptions.Clock. Both handshakes of a probe share it, so
// the ticket age the second one reports (RFC 8446, 4.2.11.1) stays true.
type tlsClock struct {
	deadline time.Time
	shift    atomic.Int64 // nanoseconds the clock is set back
}

func (c *tlsClock) now() time.Time {
	return time.Now().Add(-time.Duration(c.shift.Load()))
}

// keepValid sets the clock back so it reads no later than notAfter until
// the probe's deadline.
func (c *tlsClock) keepValid(notAfter time.Time) {
	if c.deadline.IsZero() || !c.deadline.After(notAfter) {
		return
	}
	if shift := c.deadline.Sub(notAfter); int64(shift) > c.shift.Load() {
		c.shift.Store(int64(shift))
	}
}
