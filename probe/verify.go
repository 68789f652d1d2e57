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
// the chain against the roots, then the host name.
func verifyServed(o *model.Observation, chain []*x509.Certificate, roots *x509.CertPool, rootsErr string, host string, now time.Time) {
	for _, c := range chain {
		o.Chain = append(o.Chain, model.DescribeCert(c))
	}
	if len(chain) == 0 {
		return
	}
	o.ChainProblems = model.ChainOrderProblems(chain)
	if rootsErr != "" {
		// The ca: file could not be read: say so rather than blame the
		// server's chain for failing against the system roots.
		o.VerifyError = rootsErr
	} else if err := model.VerifyChain(chain, roots, "", now); err != nil {
		o.VerifyError = model.ExplainVerifyError(err, now)
	} else {
		o.Verified = true
	}
	o.HostnameOK = chain[0].VerifyHostname(host) == nil
}
