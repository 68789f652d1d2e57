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

// hostileTimeout is short so the silent server costs little; every other
// case must end well before it.
const hostileTimeout = 700 * time.Millisecond

func TestHostileServersEndWithinTheDeadline(t *testing.T) {
	cases := []struct {
		name    string
		address func(t *testing.T) string
		kind    model.ErrorKind
		message string
	}{
		{"accepts and never speaks", func(t *testing.T) string { return probetest.Silent(t).Addr }, model.ErrTimeout, "no answer within"},
		{"SSH on a TLS port", func(t *testing.T) string { return probetest.PlainText(t, "SSH-2.0-OpenSSH_9.2\r\n").Addr }, model.ErrNotTLS, "SSH banner"},
		{"HTTP on a TLS port", func(t *testing.T) string {
			return probetest.PlainText(t, "HTTP/1.1 400 Bad Request\r\n\r\n").Addr
		}, model.ErrNotTLS, "plain HTTP"},
		{"SMTP greeting on a TLS port", func(t *testing.T) string { return probetest.PlainText(t, "220 mail ESMTP\r\n").Addr }, model.ErrNotTLS, "smtp://"},
		{"TLS alert", func(t *testing.T) string { return probetest.Alert(t, 40).Addr }, model.ErrTLSAlert, "handshake failure"},
		{"reset mid-handshake", func(t *testing.T) string { return probetest.ResetMidHandshake(t).Addr }, model.ErrReset, "reset"},
		{"refused port", func(t *testing.T) string { return probetest.RefusedAddr(t) }, model.ErrRefused, "refused"},
		{"DNS failure", func(*testing.T) string { return "no-such-host.invalid:443" }, model.ErrDNS, "no-such-host.invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := endpoint(t, "hostile", tc.address(t), "svc.test", "")
			start := time.Now()
			o := ProbeEndpoint(context.Background(), ep, ProbeOptions{Timeout: hostileTimeout})
			elapsed := time.Since(start)
			if o.ErrKind != tc.kind || !strings.Contains(o.Error, tc.message) {
				t.Errorf("got %s: %q, want %s containing %q", o.ErrKind, o.Error, tc.kind, tc.message)
			}
			if elapsed > hostileTimeout+500*time.Millisecond {
				t.Errorf("probe took %v, deadline was %v", elapsed, hostileTimeout)
			}
			if v := model.ClassifyEndpoint(o, ep.Thresholds, time.Now()); v.Status != model.Error {
				t.Errorf("status = %s, want ERROR", v.Status)
			}
		})
	}
}

func TestProbeHonoursContextCancellation(t *testing.T) {
	srv := probetest.Silent(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	start := time.Now()
	o := ProbeEndpoint(ctx, endpoint(t, "x", srv.Addr, "", ""), ProbeOptions{Timeout: 10 * time.Second})
	if !o.Failed() || time.Since(start) > 2*time.Second {
		t.Fatalf("probe returned %q after %v, want a prompt failure on cancel", o.Error, time.Since(start))
	}
}

func TestTwoHundredCertificateChainIsObservedWithinTheDeadline(t *testing.T) {
	ca := pki.Must(pki.NewCA("Deep Root"))
	issuer := ca
	for i := 0; i < 199; i++ {
		issuer = pki.Must(issuer.Intermediate("Deep Intermediate"))
	}
	leaf := pki.Must(issuer.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	cert := leaf.TLSCertificate()
	if len(cert.Certificate) != 200 {
		t.Fatalf("fixture chain has %d certificates", len(cert.Certificate))
	}
	srv := probetest.StartTLSServer(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	ep := endpoint(t, "deep", srv.Addr, "svc.test", writeFile(t, "ca.pem", ca.RootPEM()))
	start := time.Now()
	o := ProbeEndpoint(context.Background(), ep, probeOpts())
	if o.Failed() {
		t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
	}
	if len(o.Chain) != 200 {
		t.Fatalf("observed %d certificates, want 200", len(o.Chain))
	}
	if el := time.Since(start); el > testTimeout {
		t.Fatalf("took %v", el)
	}
	// Whether Go's verifier walks 200 levels is its business; what matters
	// is a definite verdict with a reason when it does not.
	if !o.Verified && o.VerifyError == "" {
		t.Fatal("not verified and no reason given")
	}
	t.Logf("200-certificate chain: verified=%v %s", o.Verified, o.VerifyError)
}
