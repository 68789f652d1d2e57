package model

import (
	"fmt"
	"strings"
	"time"
)

// ServedCert is a certificate chain a server hands to some clients but not
// to the probe's own handshake: the other key type of a server configured
// with an RSA and an ECDSA certificate (Apache with two SSLCertificateFile,
// nginx with two ssl_certificate, Postfix smtpd_tls_chain_files). OpenSSL
// servers choose between them by the client's first TLS 1.3 signature
// algorithm, which Go's client sets (rsa_pss_rsae_sha256) and browsers,
// curl and openssl set otherwise (ecdsa_secp256r1_sha256), so what the
// probe sees first is not what most clients get.
type ServedCert struct {
	Chain       []CertInfo `json:"chain"`
	Verified    bool       `json:"verified"`
	VerifyError string     `json:"verify_error,omitempty"`
	HostnameOK  bool       `json:"hostname_ok"`
}

// Leaf is the first certificate of the chain, nil when there is none.
func (c *ServedCert) Leaf() *CertInfo {
	if c == nil || len(c.Chain) == 0 {
		return nil
	}
	return &c.Chain[0]
}

// KeyFamily is the algorithm of a certificate's key without its size or
// curve ("ECDSA P-256" → "ECDSA", "RSA 2048" → "RSA"): what a server
// chooses a certificate by.
func KeyFamily(c *CertInfo) string {
	if c == nil {
		return ""
	}
	family, _, _ := strings.Cut(c.Key, " ")
	return family
}

// LeafLike is the leaf the server serves that is comparable with want (a
// bundle's leaf): the one with want's serial, else the one with want's key
// type, else the leaf of the probe's own handshake. A server with an RSA
// and an ECDSA certificate is in sync with a bundle holding either.
func (o *Observation) LeafLike(want *CertInfo) *CertInfo {
	leaf := o.Leaf()
	if want == nil || leaf == nil || len(o.AlsoServes) == 0 {
		return leaf
	}
	for i := range o.AlsoServes {
		if l := o.AlsoServes[i].Leaf(); l != nil && l.Serial == want.Serial {
			return l
		}
	}
	if KeyFamily(leaf) == KeyFamily(want) {
		return leaf
	}
	for i := range o.AlsoServes {
		if l := o.AlsoServes[i].Leaf(); KeyFamily(l) == KeyFamily(want) {
			return l
		}
	}
	return leaf
}

// classifyAlsoServes judges every other certificate the server serves as
// the probe's own leaf is judged (dates, chain, host name), so the status
// is the worst of what clients can get: an expired ECDSA certificate
// served to every browser is CRIT although the probe's handshake got a
// valid RSA one. A healthy one is an OK note, so the table and the detail
// pane say the server has two.
func classifyAlsoServes(v *Verdict, o *Observation, t Thresholds, now time.Time) {
	for i := range o.AlsoServes {
		c := &o.AlsoServes[i]
		leaf := c.Leaf()
		if leaf == nil {
			continue
		}
		what := fmt.Sprintf("also serves an %s certificate (serial %s", KeyFamily(leaf), leaf.Serial)
		cv := ClassifyCert(leaf, t, now)
		if !c.Verified {
			reason := "chain does not verify"
			if c.VerifyError != "" {
				reason += ": " + c.VerifyError
			}
			cv.add(Crit, reason)
		}
		if !c.HostnameOK {
			cv.add(Crit, hostMismatchReason(o.HostChecked, leaf))
		}
		if cv.Status == OK {
			v.add(OK, fmt.Sprintf("%s, expires %s) to clients that prefer it", what, leaf.NotAfter.Format(time.DateOnly)))
			continue
		}
		for _, r := range cv.Reasons {
			v.add(cv.Status, what+"): "+r)
		}
	}
}

// labelReasons names the certificate v's reasons are about ("RSA
// certificate (serial …): expired …"), for a server that serves another
// one too.
func labelReasons(v *Verdict, leaf *CertInfo) {
	for i, r := range v.Reasons {
		v.Reasons[i] = fmt.Sprintf("%s certificate (serial %s): %s", KeyFamily(leaf), leaf.Serial, r)
	}
}
