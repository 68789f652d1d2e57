package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

func TestProbeReportsWhatTheServerServes(t *testing.T) {
	fx := newFixture(t)
	serial := big.NewInt(0x08d27b)
	leaf := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"}, Serial: serial}))
	cfg := serverConfig(leaf.TLSCertificate())
	cfg.NextProtos = []string{"h2", "http/1.1"}
	srv := probetest.StartTLSServer(t, cfg)

	o := ProbeEndpoint(context.Background(), endpoint(t, "web", srv.Addr, "svc.test", fx.caFile), probeOpts())

	if o.Failed() {
		t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
	}
	if o.IP != "127.0.0.1" {
		t.Errorf("IP = %q, want 127.0.0.1", o.IP)
	}
	if o.TLSVersion != "TLS 1.3" || o.Cipher == "" || o.ALPN != "h2" {
		t.Errorf("version/cipher/alpn = %q/%q/%q, want TLS 1.3/<any>/h2", o.TLSVersion, o.Cipher, o.ALPN)
	}
	if o.Latency <= 0 {
		t.Errorf("latency = %v, want > 0", o.Latency)
	}
	if len(o.Chain) != 2 {
		t.Fatalf("chain has %d certificates, want leaf + intermediate", len(o.Chain))
	}
	if got := o.Leaf().Serial; got != "08d27b" {
		t.Errorf("serial = %q, want 08d27b (whole bytes, leading zero kept)", got)
	}
	if o.Chain[1].SubjectCN != "Test Intermediate" {
		t.Errorf("chain[1] = %q, want the intermediate", o.Chain[1].SubjectCN)
	}
	if !o.Verified || !o.HostnameOK || len(o.ChainProblems) != 0 {
		t.Errorf("verified=%v hostname=%v problems=%v (%s), want a clean verification", o.Verified, o.HostnameOK, o.ChainProblems, o.VerifyError)
	}
	if o.OCSP.Stapled {
		t.Errorf("OCSP stapled without a staple")
	}
	if !o.Ticket.Issued || !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
		t.Errorf("ticket = %+v, want issued, checked and resumed", o.Ticket)
	}
	if !o.Ticket.Opaque || o.Ticket.KeyName != "" {
		t.Errorf("ticket = %+v, want opaque with no key name (Go server tickets start with a random IV)", o.Ticket)
	}
}

func TestProbeVerdictNamesTheExactFault(t *testing.T) {
	fx := newFixture(t)
	now := time.Now()
	expired := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"},
		NotBefore: now.AddDate(0, -3, 0), NotAfter: now.AddDate(0, 0, -2)}))
	future := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"},
		NotBefore: now.AddDate(0, 0, 2), NotAfter: now.AddDate(0, 3, 0)}))
	self := pki.Must(pki.SelfSigned(pki.Options{DNSNames: []string{"svc.test"}}))
	other := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"other.test"}}))
	misordered := fx.leaf.TLSCertificate()
	misordered.Certificate = [][]byte{misordered.Certificate[0], fx.ca.Root().Raw, fx.inter.Cert.Raw}
	soon := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"}, NotBefore: now.AddDate(0, 0, -87), NotAfter: now.Add(3 * 24 * time.Hour)}))

	cases := []struct {
		name       string
		cert       tls.Certificate
		verified   bool
		verifyErr  string
		hostnameOK bool
		problem    string
		status     model.Status
	}{
		{name: "valid", cert: fx.leaf.TLSCertificate(), verified: true, hostnameOK: true, status: model.OK},
		{name: "expired", cert: expired.TLSCertificate(), verifyErr: "expired", hostnameOK: true, status: model.Crit},
		{name: "not yet valid", cert: future.TLSCertificate(), verifyErr: "not valid until", hostnameOK: true, status: model.Crit},
		{name: "self-signed", cert: self.TLSCertificate(), verifyErr: "unknown authority", hostnameOK: true, status: model.Crit},
		{name: "wrong host", cert: other.TLSCertificate(), verified: true, hostnameOK: false, status: model.Crit},
		{name: "chain out of order", cert: misordered, verified: true, hostnameOK: true, problem: "not signed by certificate 3", status: model.Warn},
		{name: "expires in 3 days", cert: soon.TLSCertificate(), verified: true, hostnameOK: true, status: model.Crit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := probetest.StartTLSServer(t, serverConfig(tc.cert))
			ep := endpoint(t, "svc", srv.Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s (a bad certificate must still be observed)", o.ErrKind, o.Error)
			}
			if o.Verified != tc.verified || !strings.Contains(o.VerifyError, tc.verifyErr) {
				t.Errorf("verified=%v error=%q, want %v and an error containing %q", o.Verified, o.VerifyError, tc.verified, tc.verifyErr)
			}
			if o.HostnameOK != tc.hostnameOK {
				t.Errorf("hostname_ok = %v, want %v", o.HostnameOK, tc.hostnameOK)
			}
			if got := strings.Join(o.ChainProblems, "; "); !strings.Contains(got, tc.problem) || (tc.problem == "" && got != "") {
				t.Errorf("chain problems = %q, want %q", got, tc.problem)
			}
			v := model.ClassifyEndpoint(o, ep.Thresholds, time.Now())
			if v.Status != tc.status {
				t.Errorf("status = %s (%v), want %s", v.Status, v.Reasons, tc.status)
			}
			// The reason names the host checked and what the certificate covers.
			if want := "certificate does not match host svc.test (it covers other.test)"; tc.name == "wrong host" && v.Reasons[0] != want {
				t.Errorf("reason = %q, want %q", v.Reasons[0], want)
			}
		})
	}
}

func TestProbeUsesSystemRootsWithoutCAFile(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	o := ProbeEndpoint(context.Background(), endpoint(t, "svc", srv.Addr, "svc.test", ""), probeOpts())
	if o.Failed() || o.Verified || !strings.Contains(o.VerifyError, "unknown authority") {
		t.Fatalf("verified=%v error=%q, want a private CA to be unknown to the system roots", o.Verified, o.VerifyError)
	}
	opts := probeOpts()
	opts.Roots = fx.ca.Pool()
	if o := ProbeEndpoint(context.Background(), endpoint(t, "svc", srv.Addr, "svc.test", ""), opts); !o.Verified {
		t.Fatalf("with Roots set: verified=false (%s)", o.VerifyError)
	}
}

func TestProbeReportsUnreadableCAFileAsVerifyError(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	bad := writeFile(t, "ca.pem", []byte("not pem"))
	o := ProbeEndpoint(context.Background(), endpoint(t, "svc", srv.Addr, "svc.test", bad), probeOpts())
	if o.Failed() || o.Verified || !strings.Contains(o.VerifyError, "no PEM certificates") {
		t.Fatalf("verified=%v error=%q, want the ca file problem named", o.Verified, o.VerifyError)
	}
}

func TestProbeHostnameUsesIPWhenNoSNI(t *testing.T) {
	fx := newFixture(t)
	leaf := pki.Must(fx.inter.Issue(pki.Options{CommonName: "ip", IPs: ipList("127.0.0.1")}))
	srv := probetest.StartTLSServer(t, serverConfig(leaf.TLSCertificate()))
	o := ProbeEndpoint(context.Background(), endpoint(t, "ip", srv.Addr, "", fx.caFile), probeOpts())
	if !o.HostnameOK || !o.Verified || o.HostChecked != "127.0.0.1" {
		t.Fatalf("hostname_ok=%v verified=%v (%s) host checked %q, want an IP SAN to match the IP address",
			o.HostnameOK, o.Verified, o.VerifyError, o.HostChecked)
	}
}

func TestProbePresentsClientCertificate(t *testing.T) {
	fx := newFixture(t)
	client := pki.Must(fx.inter.Issue(pki.Options{CommonName: "probe-client"}))
	seen := make(chan string, 4)
	cfg := serverConfig(fx.leaf.TLSCertificate())
	pool := x509.NewCertPool()
	pool.AddCert(fx.inter.Cert)
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) > 0 {
			seen <- cs.PeerCertificates[0].Subject.CommonName
		}
		return nil
	}
	srv := probetest.StartTLSServer(t, cfg)
	ep := endpoint(t, "mtls", srv.Addr, "svc.test", fx.caFile)
	ep.ClientCert = writeFile(t, "client.pem", client.FullchainPEM())
	ep.ClientKey = writeFile(t, "client.key", client.KeyPEM())

	o := ProbeEndpoint(context.Background(), ep, probeOpts())
	if o.Failed() || !o.Verified {
		t.Fatalf("probe: %s %s verified=%v", o.ErrKind, o.Error, o.Verified)
	}
	select {
	case cn := <-seen:
		if cn != "probe-client" {
			t.Fatalf("server saw client certificate %q, want probe-client", cn)
		}
	default:
		t.Fatal("server saw no client certificate")
	}
}

func TestProbeRejectsMismatchedClientKeyWithoutLeakingIt(t *testing.T) {
	fx := newFixture(t)
	client := pki.Must(fx.inter.Issue(pki.Options{CommonName: "probe-client"}))
	other := pki.Must(fx.inter.Issue(pki.Options{CommonName: "other"}))
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	ep := endpoint(t, "mtls", srv.Addr, "svc.test", fx.caFile)
	ep.ClientCert = writeFile(t, "client.pem", client.CertPEM())
	keyPEM := other.KeyPEM()
	ep.ClientKey = writeFile(t, "client.key", keyPEM)

	o := ProbeEndpoint(context.Background(), ep, probeOpts())
	if !o.Failed() || !strings.Contains(o.Error, "client certificate") {
		t.Fatalf("error = %q, want a client certificate error", o.Error)
	}
	if strings.Contains(o.Error, "PRIVATE KEY") || strings.Contains(o.Error, string(keyPEM[40:80])) {
		t.Fatal("the error message contains key material")
	}
}
