package model

import (
	"fmt"
	"strings"
	"time"
)

// classifyTLS applies the rules about what the TLS conversation showed
// beyond the certificate's dates and chain: the host name, the stapled
// OCSP response, and client certificates.
func classifyTLS(v *Verdict, o *Observation) {
	if !o.HostnameOK {
		v.add(Crit, hostMismatchReason(o.HostChecked, o.Leaf()))
	}
	classifyStaple(v, o.OCSP)
	classifyClientCert(v, o.ClientCert)
}

// classifyStaple: a believed staple that says revoked is CRIT, stale or
// not (a revocation is final). A staple that cannot be believed (another
// certificate's, a wrong signer, past its next update) is WARN: clients
// that check staples reject it or fall back to asking the responder, and
// the server should be fetching a fresh one. "unknown" is WARN too: the
// CA's responder does not know the certificate it supposedly issued, and
// browsers that hard-fail on staples (Firefox) refuse it.
func classifyStaple(v *Verdict, s OCSPInfo) {
	switch {
	case !s.Stapled:
	case s.Status == OCSPRevoked:
		v.add(Crit, fmt.Sprintf("revoked (stapled OCSP, %s, %s)", s.Reason, s.RevokedAt.UTC().Format(time.DateOnly)))
	case s.Error != "":
		v.add(Warn, "stapled OCSP response: "+s.Error)
	case s.Status == OCSPUnknown:
		v.add(Warn, "stapled OCSP response says unknown: the CA's responder does not know this certificate")
	}
}

// classifyClientCert: a server that refuses the probe for want of a client
// certificate is doing what it was configured to do, and its certificate
// was still seen and judged, so the status stays the certificate's and the
// note is only a reason: a WARN here would stay on every mTLS endpoint
// forever unless the operator hands the probe a client key, and an alarm
// nobody can clear teaches people to ignore alarms. A configured client
// certificate that the server refuses is WARN: something the operator set
// up stopped working (an expired client certificate, a changed client CA).
func classifyClientCert(v *Verdict, c ClientCertInfo) {
	switch {
	case c.Required && !c.Sent:
		v.add(OK, "requires a client certificate; none configured")
	case c.Required:
		v.add(Warn, "refused the configured client certificate")
	}
}

// maxNamesInReason bounds how much of a certificate's name list the
// host-mismatch reason quotes: certificates with hundreds of SANs exist,
// and the reason is one line of a table.
const maxNamesInReason = 100

// hostMismatchReason names the host checked and the names the certificate
// covers, cut after maxNamesInReason bytes with a count of the rest.
func hostMismatchReason(host string, leaf *CertInfo) string {
	what := "the host name"
	if host != "" {
		what = "host " + host
	}
	if leaf == nil || len(leaf.SANs) == 0 {
		if leaf != nil && leaf.SubjectCN != "" {
			return fmt.Sprintf("certificate does not match %s (it has no subject alternative names; its CN %q is not used for matching)", what, leaf.SubjectCN)
		}
		return fmt.Sprintf("certificate does not match %s (it names no host)", what)
	}
	var b strings.Builder
	for i, name := range leaf.SANs {
		if i > 0 && b.Len()+len(name) > maxNamesInReason {
			fmt.Fprintf(&b, " and %d more", len(leaf.SANs)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(name) > maxNamesInReason {
			name = name[:maxNamesInReason] + "…"
		}
		b.WriteString(name)
	}
	return fmt.Sprintf("certificate does not match %s (it covers %s)", what, b.String())
}
