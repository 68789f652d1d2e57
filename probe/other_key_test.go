package probe

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// opensslChoice emulates how an OpenSSL server with an RSA and an ECDSA
// certificate picks one: by the client's first signature algorithm under
// TLS 1.3 (Go's client lists rsa_pss_rsae_sha256 first, browsers and
// openssl ecdsa_secp256r1_sha256), by the cipher suites under TLS 1.2. A
// stock Go server would pick the first certificate the client supports.
func opensslChoice(rsaCert, ecdsaCert tls.Certificate) *tls.Config {
	return &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		order := []*tls.Certificate{&rsaCert, &ecdsaCert}
		if len(hello.SignatureSchemes) > 0 && strings.HasPrefix(hello.SignatureSchemes[0].String(), "ECDSA") {
			order = []*tls.Certificate{&ecdsaCert, &rsaCert}
		}
		for _, c := range order {
			if hello.SupportsCertificate(c) == nil {
				return c, nil
			}
		}
		return order[0], nil
	}}
}

// dualCerts is a CA, an RSA and an ECDSA leaf for svc.test; expired names
// the one that expired two days ago ("" for neither).
func dualCerts(t *testing.T, expired string) (ca *pki.CA, rsaLeaf, ecdsaLeaf *pki.Leaf) {
	t.Helper()
	ca = pki.Must(pki.NewCA("Dual Root"))
	opts := func(kind pki.KeyType, name string) pki.Options {
		o := pki.Options{DNSNames: []string{"svc.test"}, KeyType: kind}
		if name == expired {
			o.NotBefore, o.NotAfter = time.Now().Add(-90*24*time.Hour), time.Now().Add(-48*time.Hour)
		}
		return o
	}
	return ca, pki.Must(ca.Issue(opts(pki.RSA2048, "RSA"))), pki.Must(ca.Issue(opts(pki.ECDSAP256, "ECDSA")))
}

// probeDual probes a Go server with cfg, or, with cfg nil, the server at
// addr; and judges what it saw.
func probeDual(t *testing.T, ca *pki.CA, cfg *tls.Config, addr ...string) (*model.Observation, model.Verdict) {
	t.Helper()
	if cfg != nil {
		addr = []string{probetest.StartTLSServer(t, cfg).Addr}
	}
	ep := endpoint(t, "dual", addr[0], "svc.test", writeFile(t, "ca.pem", ca.RootPEM()))
	o := ProbeEndpoint(context.Background(), ep, ProbeOptions{Timeout: testTimeout, NoResume: true})
	if o.Failed() {
		t.Fatalf("probe failed: %s", o.Error)
	}
	return o, model.ClassifyEndpoint(o, ep.Thresholds, time.Now())
}

func TestExpiredECDSACertBesideValidRSAIsCrit(t *testing.T) {
	ca, rsaLeaf, ecdsaLeaf := dualCerts(t, "ECDSA")
	o, v := probeDual(t, ca, opensslChoice(rsaLeaf.TLSCertificate(), ecdsaLeaf.TLSCertificate()))
	if got := o.Leaf().Serial; got != model.SerialHex(rsaLeaf.Cert.SerialNumber) {
		t.Fatalf("the probe's own handshake got serial %s, want the RSA leaf (as Go's client does)", got)
	}
	if len(o.AlsoServes) != 1 || o.AlsoServes[0].Leaf().Serial != model.SerialHex(ecdsaLeaf.Cert.SerialNumber) {
		t.Fatalf("AlsoServes = %+v, want the ECDSA leaf", o.AlsoServes)
	}
	if !o.AlsoServes[0].HostnameOK {
		t.Errorf("the ECDSA leaf does not match svc.test")
	}
	t.Logf("reasons: %q", v.Reasons)
	want := "also serves an ECDSA certificate (serial " + model.SerialHex(ecdsaLeaf.Cert.SerialNumber) + "): expired "
	if v.Status != model.Crit || !strings.HasPrefix(v.Reasons[0], want) {
		t.Fatalf("verdict %v %q, want CRIT starting %q", v.Status, v.Reasons, want)
	}
}

func TestValidECDSACertBesideExpiredRSASaysWhichIsExpired(t *testing.T) {
	ca, rsaLeaf, ecdsaLeaf := dualCerts(t, "RSA")
	_, v := probeDual(t, ca, opensslChoice(rsaLeaf.TLSCertificate(), ecdsaLeaf.TLSCertificate()))
	// RSA-preferring clients still get the expired one: CRIT, but the
	// reason says it is the RSA certificate, and that an ECDSA one is
	// served too.
	rsaSerial, ecSerial := model.SerialHex(rsaLeaf.Cert.SerialNumber), model.SerialHex(ecdsaLeaf.Cert.SerialNumber)
	if v.Status != model.Crit || !strings.HasPrefix(v.Reasons[0], "RSA certificate (serial "+rsaSerial+"): expired ") {
		t.Fatalf("verdict %v %q", v.Status, v.Reasons)
	}
	if !strings.Contains(strings.Join(v.Reasons, "\n"), "also serves an ECDSA certificate (serial "+ecSerial+", expires ") {
		t.Errorf("reasons %q do not mention the ECDSA certificate", v.Reasons)
	}
}

func TestSingleCertificateServerAlsoServesNothing(t *testing.T) {
	for _, kind := range []pki.KeyType{pki.ECDSAP256, pki.RSA2048} {
		ca := pki.Must(pki.NewCA("Single Root"))
		leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}, KeyType: kind}))
		o, v := probeDual(t, ca, probetest.Config(leaf.TLSCertificate()))
		if len(o.AlsoServes) != 0 || o.OtherKeyUnchecked != "" || v.Status != model.OK || len(v.Reasons) != 0 {
			t.Errorf("key type %v: also serves %+v, unchecked %q, verdict %v %q", kind, o.AlsoServes, o.OtherKeyUnchecked, v.Status, v.Reasons)
		}
	}
}

func TestTLS13OnlyServerSaysTheOtherKeyTypeWasNotChecked(t *testing.T) {
	ca, rsaLeaf, ecdsaLeaf := dualCerts(t, "")
	cfg := opensslChoice(rsaLeaf.TLSCertificate(), ecdsaLeaf.TLSCertificate())
	cfg.MinVersion = tls.VersionTLS13
	o, v := probeDual(t, ca, cfg)
	if len(o.AlsoServes) != 0 || !strings.Contains(o.OtherKeyUnchecked, "refuses TLS 1.2") {
		t.Fatalf("also serves %+v, unchecked %q", o.AlsoServes, o.OtherKeyUnchecked)
	}
	// Not a finding of its own: it matters only where drift does.
	if v.Status != model.OK || len(v.Reasons) != 0 {
		t.Errorf("verdict %v %q, want a quiet OK", v.Status, v.Reasons)
	}
}

// TestNginxWithRSAAndECDSACertificates runs a real nginx with two
// ssl_certificate lines, a valid RSA one and an expired ECDSA one: the
// probe's own handshake gets the RSA certificate (Go's client lists
// rsa_pss_rsae_sha256 first), `openssl s_client` the ECDSA one, and the
// probe reports that one too and judges the endpoint CRIT for it.
func TestNginxWithRSAAndECDSACertificates(t *testing.T) {
	probetest.RequireBinary(t, "nginx")
	ca, rsaLeaf, ecdsaLeaf := dualCerts(t, "ECDSA")
	ngx := probetest.StartNginx(t, probetest.NginxSite{
		FullchainPEM: rsaLeaf.FullchainPEM(), KeyPEM: rsaLeaf.KeyPEM(),
		AlsoFullchainPEM: ecdsaLeaf.FullchainPEM(), AlsoKeyPEM: ecdsaLeaf.KeyPEM(),
	})
	addr := ngx.Servers[0].Addr
	if got := probetest.OpenSSLLeaf(t, addr, "svc.test"); !got.Equal(ecdsaLeaf.Cert) {
		t.Fatalf("openssl s_client got serial %s, want the ECDSA leaf", model.SerialHex(got.SerialNumber))
	}
	o, v := probeDual(t, ca, nil, addr)
	if got := o.Leaf().Serial; got != model.SerialHex(rsaLeaf.Cert.SerialNumber) {
		t.Errorf("the probe's handshake got serial %s, want the RSA leaf", got)
	}
	if len(o.AlsoServes) != 1 || o.AlsoServes[0].Leaf().Serial != model.SerialHex(ecdsaLeaf.Cert.SerialNumber) {
		t.Fatalf("AlsoServes = %+v, want the ECDSA leaf openssl got", o.AlsoServes)
	}
	if v.Status != model.Crit || !strings.HasPrefix(v.Reasons[0], "also serves an ECDSA certificate") {
		t.Errorf("verdict %v %q, want CRIT for the expired ECDSA certificate", v.Status, v.Reasons)
	}
}

// A server that has no certificate of the other key type is asked once
// per reuse window, a server that has one on every probe (a renewal of its
// second certificate shows at once).
func TestOtherKeyTypeIsAskedAgainOnlyOfServersThatHaveOne(t *testing.T) {
	ca, rsaLeaf, ecdsaLeaf := dualCerts(t, "")
	single := probetest.Config(rsaLeaf.TLSCertificate())
	dual := opensslChoice(rsaLeaf.TLSCertificate(), ecdsaLeaf.TLSCertificate())
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		want []int // connections per probe
	}{
		{"single certificate", single, []int{2, 1, 1}},
		{"two certificates", dual, []int{2, 2, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SessionTicketsDisabled = true // one connection per probe besides the other key type's
			srv := probetest.StartTLSServer(t, tc.cfg)
			ep := endpoint(t, "x", srv.Addr, "svc.test", writeFile(t, "ca.pem", ca.RootPEM()))
			p := newProber(ProbeOptions{Timeout: testTimeout, ResumeEvery: time.Hour}, nil)
			before := 0
			for i, want := range tc.want {
				if o := p.probe(context.Background(), ep); o.Failed() {
					t.Fatal(o.Error)
				}
				if got := srv.Accepted() - before; got != want {
					t.Errorf("probe %d: %d connections, want %d", i+1, got, want)
				}
				before = srv.Accepted()
			}
		})
	}
}

// An ECDSA leaf under TLS 1.3 means an OpenSSL server has no RSA
// certificate (Go's client lists RSA-PSS first, and OpenSSL would have
// chosen it): the server is not asked, and a modern ECDSA fleet pays
// nothing. Under TLS 1.2 it is asked (the server may prefer ECDSA suites
// over an RSA certificate it holds).
func TestECDSALeafUnderTLS13IsNotAskedForRSA(t *testing.T) {
	ca, rsaLeaf, ecdsaLeaf := dualCerts(t, "RSA")
	for _, tc := range []struct {
		version uint16
		conns   int
		also    int
	}{{tls.VersionTLS13, 1, 0}, {tls.VersionTLS12, 2, 1}} {
		// A Go server offering ECDSA first gives it to every client that
		// can use it, and RSA to the others.
		cfg := serverConfig(ecdsaLeaf.TLSCertificate(), rsaLeaf.TLSCertificate())
		cfg.MaxVersion, cfg.SessionTicketsDisabled = tc.version, true
		srv := probetest.StartTLSServer(t, cfg)
		ep := endpoint(t, "x", srv.Addr, "svc.test", writeFile(t, "ca.pem", ca.RootPEM()))
		o := ProbeEndpoint(context.Background(), ep, probeOpts())
		if o.Failed() || len(o.AlsoServes) != tc.also || srv.Accepted() != tc.conns {
			t.Errorf("%s: error %q, also serves %d, %d connections; want %d, %d",
				tls.VersionName(tc.version), o.Error, len(o.AlsoServes), srv.Accepted(), tc.also, tc.conns)
		}
	}
}
