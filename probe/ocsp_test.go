package probe

import (
	"context"
	"crypto/tls"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// A stapled response is believed only when it speaks of the served
// certificate and its issuer (or the issuer's delegated responder) signed
// it; what it says then decides the status: revoked is CRIT, a staple that
// cannot be believed or is past its next update is WARN.
func TestStapledOCSPStatusIsBelievedOnlyFromTheIssuer(t *testing.T) {
	fx := newFixture(t)
	now := time.Now().UTC().Truncate(time.Second)
	this, next := now.Add(-time.Hour), now.Add(48*time.Hour)
	revokedAt := now.Add(-24 * time.Hour)
	stranger := pki.Must(pki.NewCA("Stranger CA"))
	delegated, delegatedKey := probetest.OCSPResponder(t, fx.inter, true)
	notResponder, notResponderKey := probetest.OCSPResponder(t, fx.inter, false)
	base := probetest.Staple{Status: ocsp.Good, Serial: fx.leaf.Cert.SerialNumber, ThisUpdate: this, NextUpdate: next,
		Issuer: fx.inter.Cert, Signer: fx.inter.Key}
	with := func(f func(*probetest.Staple)) []byte {
		s := base
		f(&s)
		return s.Sign(t)
	}

	cases := []struct {
		name    string
		staple  []byte
		status  string // OCSPInfo.Status
		errPart string // in OCSPInfo.Error; "" means no error
		verdict model.Status
		reason  string // in the verdict's first reason
	}{
		{name: "good", staple: base.Sign(t), status: model.OCSPGood, verdict: model.OK},
		{name: "revoked", staple: with(func(s *probetest.Staple) {
			s.Status, s.RevokedAt, s.Reason = ocsp.Revoked, revokedAt, ocsp.KeyCompromise
		}), status: model.OCSPRevoked, verdict: model.Crit,
			reason: "revoked (stapled OCSP, keyCompromise, " + revokedAt.Format(time.DateOnly) + ")"},
		{name: "unknown", staple: with(func(s *probetest.Staple) { s.Status = ocsp.Unknown }),
			status: model.OCSPUnknown, verdict: model.Warn, reason: "says unknown"},
		{name: "signed by a wrong key", staple: with(func(s *probetest.Staple) { s.Signer = stranger.Key }),
			errPart: "signature does not verify with the key of the issuer", verdict: model.Warn, reason: "stapled OCSP response"},
		{name: "signed by another CA's responder", staple: with(func(s *probetest.Staple) {
			s.Responder, s.Signer = stranger.Cert, stranger.Key
		}), errPart: "which the issuer \"Test Intermediate\" did not certify", verdict: model.Warn},
		{name: "for another serial", staple: with(func(s *probetest.Staple) { s.Serial = big.NewInt(0x0a0b) }),
			errPart: "covers serial 0a0b", verdict: model.Warn},
		{name: "delegated responder", staple: with(func(s *probetest.Staple) {
			s.Status, s.RevokedAt, s.Reason = ocsp.Revoked, revokedAt, ocsp.Superseded
			s.Responder, s.Signer = delegated, delegatedKey
		}), status: model.OCSPRevoked, verdict: model.Crit, reason: "revoked (stapled OCSP, superseded"},
		{name: "responder without id-kp-OCSPSigning", staple: with(func(s *probetest.Staple) {
			s.Responder, s.Signer = notResponder, notResponderKey
		}), errPart: "not an OCSP responder", verdict: model.Warn},
		{name: "past its next update", staple: with(func(s *probetest.Staple) {
			s.ThisUpdate, s.NextUpdate = now.Add(-72*time.Hour), now.Add(-time.Hour)
		}), status: model.OCSPGood, errPart: "stale", verdict: model.Warn, reason: "stale"},
		{name: "revoked and stale", staple: with(func(s *probetest.Staple) {
			s.Status, s.RevokedAt, s.Reason = ocsp.Revoked, revokedAt, ocsp.KeyCompromise
			s.ThisUpdate, s.NextUpdate = now.Add(-72*time.Hour), now.Add(-time.Hour)
		}), status: model.OCSPRevoked, errPart: "stale", verdict: model.Crit, reason: "revoked (stapled OCSP"},
		{name: "garbage", staple: []byte("garbage"), errPart: "unparsable", verdict: model.Warn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert := fx.leaf.TLSCertificate()
			cert.OCSPStaple = tc.staple
			srv := probetest.StartTLSServer(t, serverConfig(cert))
			ep := endpoint(t, "ocsp", srv.Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() || !o.OCSP.Stapled {
				t.Fatalf("probe: %s, ocsp %+v; want a stapled response seen", o.Error, o.OCSP)
			}
			got := o.OCSP
			if got.Status != tc.status || !strings.Contains(got.Error, tc.errPart) || (tc.errPart == "" && got.Error != "") {
				t.Errorf("ocsp = %+v, want status %q and an error containing %q", got, tc.status, tc.errPart)
			}
			if tc.status != "" && (got.ThisUpdate.IsZero() || got.NextUpdate.IsZero()) {
				t.Errorf("this/next update = %s / %s, want them reported", got.ThisUpdate, got.NextUpdate)
			}
			if tc.name == "good" && (!got.ThisUpdate.Equal(this) || !got.NextUpdate.Equal(next)) {
				t.Errorf("this/next update = %s / %s, want %s / %s", got.ThisUpdate, got.NextUpdate, this, next)
			}
			if tc.status == model.OCSPRevoked && !got.RevokedAt.Equal(revokedAt) {
				t.Errorf("revoked_at = %s, want %s", got.RevokedAt, revokedAt)
			}
			v := model.ClassifyEndpoint(o, ep.Thresholds, now)
			first := ""
			if len(v.Reasons) > 0 {
				first = v.Reasons[0]
			}
			if v.Status != tc.verdict || !strings.Contains(first, tc.reason) {
				t.Errorf("verdict = %s %q, want %s with %q first", v.Status, v.Reasons, tc.verdict, tc.reason)
			}
		})
	}
}

// Servers often send the leaf alone when a root issued it: the issuer
// then comes from the trust roots. When it cannot be found anywhere the
// staple is not believed, and says why.
func TestStapleIssuerFromTheTrustRoots(t *testing.T) {
	fx := newFixture(t)
	now := time.Now()
	direct := pki.Must(fx.ca.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	stranger := pki.Must(pki.NewCA("Stranger CA"))
	revoked := func(issuer *pki.CA, leaf *pki.Leaf) []byte {
		return probetest.Staple{Status: ocsp.Revoked, Serial: leaf.Cert.SerialNumber, ThisUpdate: now.Add(-time.Hour),
			NextUpdate: now.Add(time.Hour), RevokedAt: now.Add(-time.Hour), Issuer: issuer.Cert, Signer: issuer.Key}.Sign(t)
	}
	t.Run("leaf alone, staple signed by a stranger", func(t *testing.T) {
		cert := direct.TLSCertificate()
		cert.OCSPStaple = probetest.Staple{Status: ocsp.Good, Serial: direct.Cert.SerialNumber, ThisUpdate: now.Add(-time.Hour),
			NextUpdate: now.Add(time.Hour), Issuer: fx.ca.Cert, Signer: stranger.Key}.Sign(t)
		srv := probetest.StartTLSServer(t, serverConfig(cert))
		o := ProbeEndpoint(context.Background(), endpoint(t, "x", srv.Addr, "svc.test", fx.caFile), probeOpts())
		if o.OCSP.Status != "" || !strings.Contains(o.OCSP.Error, "signature does not verify") {
			t.Fatalf("ocsp = %+v, want the forged staple refused against the root's key", o.OCSP)
		}
	})
	t.Run("leaf alone, root issuer in ca file", func(t *testing.T) {
		cert := direct.TLSCertificate()
		cert.OCSPStaple = revoked(fx.ca, direct)
		srv := probetest.StartTLSServer(t, serverConfig(cert))
		o := ProbeEndpoint(context.Background(), endpoint(t, "x", srv.Addr, "svc.test", fx.caFile), probeOpts())
		if o.OCSP.Status != model.OCSPRevoked || o.OCSP.Error != "" {
			t.Fatalf("ocsp = %+v, want revoked, checked against the root from the ca file", o.OCSP)
		}
	})
	t.Run("intermediate neither sent nor trusted", func(t *testing.T) {
		cert := fx.leaf.TLSCertificate()
		cert.Certificate = cert.Certificate[:1]
		cert.OCSPStaple = revoked(fx.inter, fx.leaf)
		srv := probetest.StartTLSServer(t, serverConfig(cert))
		o := ProbeEndpoint(context.Background(), endpoint(t, "x", srv.Addr, "svc.test", fx.caFile), probeOpts())
		if o.OCSP.Status != "" || !strings.Contains(o.OCSP.Error, "issuer was neither sent nor found") {
			t.Fatalf("ocsp = %+v, want no status and the missing issuer named", o.OCSP)
		}
	})
}

// The staple reaches the probe in TLS 1.2's CertificateStatus message as
// well as in TLS 1.3's Certificate entry.
func TestStapleReadUnderBothVersions(t *testing.T) {
	fx := newFixture(t)
	now := time.Now()
	cert := fx.leaf.TLSCertificate()
	cert.OCSPStaple = probetest.Staple{Status: ocsp.Revoked, Serial: fx.leaf.Cert.SerialNumber, ThisUpdate: now.Add(-time.Hour),
		NextUpdate: now.Add(time.Hour), RevokedAt: now.Add(-time.Hour), Reason: ocsp.KeyCompromise,
		Issuer: fx.inter.Cert, Signer: fx.inter.Key}.Sign(t)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := serverConfig(cert)
			cfg.MaxVersion = version
			srv := probetest.StartTLSServer(t, cfg)
			ep := endpoint(t, "x", srv.Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if v := model.ClassifyEndpoint(o, ep.Thresholds, now); v.Status != model.Crit || o.OCSP.Reason != "keyCompromise" {
				t.Fatalf("verdict %s %q, ocsp %+v; want CRIT for a revoked staple", v.Status, v.Reasons, o.OCSP)
			}
		})
	}
}
