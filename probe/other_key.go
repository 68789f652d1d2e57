package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"certdeck/model"
)

// A server may hold an RSA and an ECDSA certificate (Apache with two
// SSLCertificateFile, nginx with two ssl_certificate, Postfix
// smtpd_tls_chain_files) and give each client one of them. Under TLS 1.3
// OpenSSL chooses by the client's first signature algorithm; Go's client
// lists rsa_pss_rsae_sha256 first and offers no way to change that, so the
// probe's handshake gets the RSA certificate while browsers, curl and
// openssl get the ECDSA one. An expired certificate served to most clients
// would then pass unseen. Under TLS 1.2 the cipher suite fixes the key
// type, so one more handshake offering only the other key type's ECDHE
// suites asks the server for its other certificate. The choice of suite
// alone does not tell whether a server has one: a server that negotiated
// an RSA suite with the probe may still prefer RSA suites over an ECDSA
// certificate it holds, so the question is asked whatever the probe's
// handshake negotiated, with one exception: an ECDSA leaf under TLS 1.3.
// Go's client lists RSA-PSS first, so an OpenSSL server holding an RSA
// certificate would have chosen it; one that chose ECDSA has none, and a
// server that prefers ECDSA over that order gives its RSA certificate only
// to clients that cannot use ECDSA. That is most of a modern fleet, which
// then pays nothing (against 2,000 nginx listeners with an ECDSA
// certificate, asking cost `check` 27% more client CPU and nginx 17%).

// Suites by the key type they authenticate with (TLS 1.0–1.2 ECDHE).
var (
	ecdsaSuites = suitesNamed("TLS_ECDHE_ECDSA_")
	rsaSuites   = suitesNamed("TLS_ECDHE_RSA_")
)

func suitesNamed(prefix string) []uint16 {
	var out []uint16
	for _, s := range tls.CipherSuites() {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s.ID)
		}
	}
	return out
}

// otherKeyType is the key type to ask for besides leaf's and the suites
// that ask for it; none for a leaf that is neither RSA nor ECDSA (an
// Ed25519 certificate has no TLS 1.2 suite of its own to ask by).
func otherKeyType(leaf *x509.Certificate) (family string, suites []uint16) {
	switch leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		return "ECDSA", ecdsaSuites
	case *ecdsa.PublicKey:
		return "RSA", rsaSuites
	}
	return "", nil
}

// errCertificateSeen ends the other key type's handshake once the server's
// certificate is in: nothing after it is needed, so neither end computes
// a key exchange, and nothing the server sent is verified beyond parsing.
var errCertificateSeen = errors.New("certificate seen")

// checkOtherKey asks the server at ep for a certificate of the key type
// leaf does not have, and records in o what it hands out (AlsoServes) or
// why that could not be learned (OtherKeyUnchecked). A server that has no
// such certificate refuses the handshake (no shared cipher suite): nothing
// is recorded. It never makes the probe fail.
//
// A server found to have no such certificate, or to refuse TLS 1.2, is not
// asked again within the prober's reuse window (the console: an hour;
// `check`: its round), for the same leaf: that is how nearly every server
// answers, and it changes only with its configuration. A server that has
// one is asked on every probe, so a renewal of either certificate shows at
// once.
func (p *prober) checkOtherKey(ctx context.Context, o *model.Observation, ep model.Endpoint, server string, version uint16, leaf *x509.Certificate, roots *x509.CertPool, rootsErr, host string, now time.Time) {
	family, suites := otherKeyType(leaf)
	if len(suites) == 0 || p.opt.skipOtherKey || (version == tls.VersionTLS13 && family == "RSA") {
		return
	}
	window := p.opt.reuseWindow()
	if m, ok := p.otherKeys.Load(server); ok && window > 0 {
		if m := m.(otherKeyMemo); m.leaf == sha256.Sum256(leaf.Raw) && !now.Before(m.at) && now.Sub(m.at) < window {
			o.OtherKeyUnchecked = m.unchecked
			return
		}
	}
	remember := func(unchecked string) {
		o.OtherKeyUnchecked = unchecked
		if window > 0 {
			p.otherKeys.Store(server, otherKeyMemo{at: now, leaf: sha256.Sum256(leaf.Raw), unchecked: unchecked})
		}
	}
	chain, err := p.otherKeyChain(ctx, ep, suites)
	switch {
	case err != nil && isRefusal(err, "protocol version not supported"):
		remember(fmt.Sprintf("the server refuses TLS 1.2, so whether it also serves an %s certificate could not be checked", family))
		return
	case err != nil && (isRefusal(err, "handshake failure") || isRefusal(err, "insufficient security")):
		remember("") // no certificate of that type: no suite in common
		return
	case err != nil:
		_, why := classify(err, p.opt.timeout())
		o.OtherKeyUnchecked = fmt.Sprintf("whether the server also serves an %s certificate could not be checked: %s", family, why)
		return
	}
	if chain[0].Equal(leaf) {
		return
	}
	r := p.chains.verify(chain, roots, rootsErr, now)
	o.AlsoServes = append(o.AlsoServes, model.ServedCert{
		Chain: r.described, Verified: r.verified, VerifyError: r.verifyError,
		HostnameOK: chain[0].VerifyHostname(host) == nil,
	})
}

// otherKeyMemo is a server's answer that it serves no certificate of the
// other key type besides leaf (unchecked: why it could not be asked).
type otherKeyMemo struct {
	at        time.Time
	leaf      [sha256.Size]byte // of the leaf's DER: no parsed certificate is kept per server
	unchecked string
}

// otherKeyChain runs a TLS 1.2 (or older) handshake offering only suites
// up to the server's Certificate message and returns the chain it sent.
func (p *prober) otherKeyChain(ctx context.Context, ep model.Endpoint, suites []uint16) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	cfg := &tls.Config{
		ServerName:         ep.SNI,
		InsecureSkipVerify: true, //nolint:gosec // nothing is trusted from it; the chain is verified by hand
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS12,
		CipherSuites:       suites,
		CurvePreferences:   probeGroups,
		// Under TLS 1.2 the client sees the certificate before the
		// server's key exchange: stop there.
		VerifyConnection: func(cs tls.ConnectionState) error {
			chain = cs.PeerCertificates
			return errCertificateSeen
		},
	}
	h, err := handshake(ctx, ep, cfg)
	if err == nil {
		_ = h.tc.Close()
		err = errors.New("the handshake completed without showing a certificate")
	}
	if errors.Is(err, errCertificateSeen) && len(chain) > 0 {
		return chain, nil
	}
	return nil, err
}

// isRefusal reports whether err is the server's TLS alert with the given
// description (as crypto/tls words it, without "tls: ").
func isRefusal(err error, alert string) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "remote error" && opErr.Err.Error() == "tls: "+alert
}
