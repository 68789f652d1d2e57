package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// mtlsConfig is a server that asks for client certificates issued by ca
// with the given policy.
func mtlsConfig(cert tls.Certificate, ca *pki.CA, auth tls.ClientAuthType) *tls.Config {
	cfg := serverConfig(cert)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	cfg.ClientCAs, cfg.ClientAuth = pool, auth
	return cfg
}

// A server that refuses connections without a client certificate still
// served its own: the probe reports it, with the same status under TLS
// 1.2 (where the refusal fails the handshake) and TLS 1.3 (where it
// arrives after the client's handshake is over), and a note saying why
// nothing more could be learned.
func TestClientCertificateRequiredIsReportedNotAnError(t *testing.T) {
	fx := newFixture(t)
	now := time.Now()
	// A 90-day certificate with 20 days left: WARN by the default rule.
	soon := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"},
		NotBefore: now.AddDate(0, 0, -70), NotAfter: now.AddDate(0, 0, 20)}))
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := mtlsConfig(soon.TLSCertificate(), fx.inter, tls.RequireAndVerifyClientCert)
			cfg.MaxVersion = version
			srv := probetest.StartTLSServer(t, cfg)
			ep := endpoint(t, "mtls", srv.Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s; want the served certificate reported", o.ErrKind, o.Error)
			}
			if o.Leaf() == nil || o.Leaf().Serial != model.SerialHex(soon.Cert.SerialNumber) || !o.Verified {
				t.Fatalf("leaf = %+v verified=%v, want the served certificate", o.Leaf(), o.Verified)
			}
			if o.TLSVersion != tls.VersionName(version) {
				t.Errorf("version = %q, want %s", o.TLSVersion, tls.VersionName(version))
			}
			if want := (model.ClientCertInfo{Requested: true, Required: true}); o.ClientCert != want {
				t.Errorf("client_cert = %+v, want %+v", o.ClientCert, want)
			}
			v := model.ClassifyEndpoint(o, ep.Thresholds, now)
			if v.Status != model.Warn || !strings.HasPrefix(v.Reasons[0], "expires in") ||
				!strings.Contains(strings.Join(v.Reasons, "; "), "requires a client certificate; none configured") {
				t.Errorf("verdict = %s %q, want the certificate's WARN with the client-certificate note", v.Status, v.Reasons)
			}
			if o.Ticket.ResumeChecked {
				t.Errorf("ticket = %+v: a refused connection has nothing to resume", o.Ticket)
			}
		})
	}
}

// Asking is not requiring: a server that requests a certificate but
// accepts the connection without one gets no note; nor does one that
// accepts the configured client certificate. One that refuses the
// configured certificate is WARN.
func TestClientCertificateRequestedAcceptedOrRefused(t *testing.T) {
	fx := newFixture(t)
	client := pki.Must(fx.inter.Issue(pki.Options{CommonName: "probe-client"}))
	stranger := pki.Must(pki.NewCA("Stranger CA"))
	cases := []struct {
		name    string
		auth    tls.ClientAuthType
		ca      *pki.CA
		send    bool
		want    model.ClientCertInfo
		verdict model.Status
		reason  string
	}{
		{name: "optional, none sent", auth: tls.VerifyClientCertIfGiven, ca: fx.inter,
			want: model.ClientCertInfo{Requested: true}, verdict: model.OK},
		{name: "required, accepted", auth: tls.RequireAndVerifyClientCert, ca: fx.inter, send: true,
			want: model.ClientCertInfo{Requested: true, Sent: true}, verdict: model.OK},
		{name: "required, configured certificate refused", auth: tls.RequireAndVerifyClientCert, ca: stranger, send: true,
			want: model.ClientCertInfo{Requested: true, Required: true, Sent: true}, verdict: model.Warn,
			reason: "refused the configured client certificate"},
		{name: "not asked", auth: tls.NoClientCert, ca: fx.inter, send: true, verdict: model.OK},
	}
	for _, tc := range cases {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(tc.name+"/"+tls.VersionName(version), func(t *testing.T) {
				cfg := mtlsConfig(fx.leaf.TLSCertificate(), tc.ca, tc.auth)
				cfg.MaxVersion = version
				srv := probetest.StartTLSServer(t, cfg)
				ep := endpoint(t, "mtls", srv.Addr, "svc.test", fx.caFile)
				if tc.send {
					ep.ClientCert = writeFile(t, "client.pem", client.FullchainPEM())
					ep.ClientKey = writeFile(t, "client.key", client.KeyPEM())
				}
				o := ProbeEndpoint(context.Background(), ep, probeOpts())
				if o.Failed() {
					t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
				}
				if o.ClientCert != tc.want {
					t.Errorf("client_cert = %+v, want %+v", o.ClientCert, tc.want)
				}
				v := model.ClassifyEndpoint(o, ep.Thresholds, time.Now())
				if v.Status != tc.verdict || strings.Join(v.Reasons, "; ") != tc.reason {
					t.Errorf("verdict = %s %q, want %s %q", v.Status, v.Reasons, tc.verdict, tc.reason)
				}
			})
		}
	}
}
