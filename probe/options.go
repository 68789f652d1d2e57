package probe

import (
	"crypto/x509"
	"time"

	"certdeck/model"
)

// ProbeOptions tune one probe. The zero value probes like `certdeck check`:
// system roots, the default timeout, the real clock, resumption checked.
type ProbeOptions struct {
	// Clock gives the observation time and the time certificates are
	// verified at. Nil means time.Now.
	Clock func() time.Time
	// Timeout is the one deadline covering DNS, connect, STARTTLS and the
	// handshake (and the resumption check, which shares it). Zero means
	// model.DefaultTimeout.
	Timeout time.Duration
	// Roots replaces the system roots for endpoints without a ca: file
	// (the demo fleet and tests trust their own CA this way).
	Roots *x509.CertPool
	// NoResume skips the second handshake that checks whether the server
	// accepts its own session ticket, except when it is needed to classify
	// a lone ticket (resume_policy.go); a server resumption was not checked
	// for says so (TicketInfo.ResumeChecked false).
	NoResume bool
	// ResumeEvery, when positive, reuses a server's resumption answer
	// while its tickets keep their kind and key name, for at most this
	// long (the console: an hour). Zero checks on every probe.
	ResumeEvery time.Duration
	// Resolver looks host names up; nil means net.DefaultResolver.
	Resolver Resolver

	// skipOtherKey leaves out the handshake that asks for a certificate of
	// the other key type (other_key.go), so benchmarks can price it.
	skipOtherKey bool
}

func (o ProbeOptions) now() time.Time {
	if o.Clock != nil {
		return o.Clock()
	}
	return time.Now()
}

func (o ProbeOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return model.DefaultTimeout
}
