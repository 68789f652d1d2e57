package probe

import (
	"crypto/x509"
	"time"

	"certdeck/model"
)

// verifyServed fills the verification fields of o from the chain as sent.
// The handshake itself ran with InsecureSkipVerify, because a probe must
// still see (and report) a certificate that is expired, self-signed or for
// another host; this is where the verification Go would have done happens,
// in two separate steps so each failure gets its own exact reason:
// the chain against the roots (once per distinct chain, see chainCache),
// then the host name (per endpoint: it is string matching, and the names
// a wildcard covers share one chain).
func (p *prober) verifyServed(o *model.Observation, chain []*x509.Certificate, roots *x509.CertPool, rootsErr string, host string, now time.Time) {
	if len(chain) == 0 {
		return
	}
	r := p.chains.verify(chain, roots, rootsErr, now)
	// Observations are never modified once made, so endpoints serving one
	// chain share its description: 10,000 endpoints of one pool keep one.
	o.Chain, o.ChainProblems = r.described, r.problems
	o.Verified, o.VerifyError = r.verified, r.verifyError
	o.HostnameOK = chain[0].VerifyHostname(host) == nil
}
