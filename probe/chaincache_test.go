package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// Endpoints serving one chain share one verification and one description
// of it, while the host name is still judged per endpoint.
func TestEndpointsServingOneChainShareOneVerification(t *testing.T) {
	fx := newFixture(t)
	wild := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"*.pool.test"}}))
	srv := probetest.StartTLSServer(t, serverConfig(wild.TLSCertificate()))
	var eps []model.Endpoint
	for _, sni := range []string{"a.pool.test", "b.pool.test", "c.pool.test", "d.pool.test", "x.other.test"} {
		eps = append(eps, endpoint(t, sni, srv.Addr, sni, fx.caFile))
	}
	obs := Round(context.Background(), testFleet(time.Minute, 3, eps...), RoundOptions{Probe: probeOpts()})

	for i, o := range obs {
		if o.Failed() || !o.Verified || len(o.Chain) != 2 {
			t.Fatalf("%s: error %q verified=%v chain=%d (%s)", o.Endpoint, o.Error, o.Verified, len(o.Chain), o.VerifyError)
		}
		if wantOK := i < 4; o.HostnameOK != wantOK {
			t.Errorf("%s: hostname_ok=%v, want %v: the host name is checked per endpoint", o.Endpoint, o.HostnameOK, wantOK)
		}
		if &o.Chain[0] != &obs[0].Chain[0] {
			t.Errorf("%s: chain verified and described again, want the round's one result for this chain reused", o.Endpoint)
		}
	}
}

// A reused verification never hides a certificate expiring meanwhile:
// the result holds only until the next validity boundary of a sent
// certificate.
func TestReusedVerificationNeverOutlivesTheCertificate(t *testing.T) {
	fx := newFixture(t)
	notAfter := time.Now().Add(time.Hour).Truncate(time.Second)
	leaf := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"}, NotAfter: notAfter}))
	srv := probetest.StartTLSServer(t, serverConfig(leaf.TLSCertificate()))
	ep := endpoint(t, "web", srv.Addr, "svc.test", fx.caFile)
	now := notAfter.Add(-time.Second)
	opt := probeOpts()
	opt.Clock = func() time.Time { return now }
	opt.NoResume = true
	p := newProber(opt, nil)

	if o := p.probe(context.Background(), ep); !o.Verified {
		t.Fatalf("one second before expiry: verified=false (%s), want verified", o.VerifyError)
	}
	now = notAfter.Add(time.Second) // well within verifyReuse of the first probe
	o := p.probe(context.Background(), ep)
	if o.Verified || !strings.Contains(o.VerifyError, "expired") {
		t.Fatalf("one second after expiry: verified=%v error %q, want the expiry reported", o.Verified, o.VerifyError)
	}
}

// The same chain checked against other roots is verified again.
func TestVerificationIsNotSharedAcrossTrustRoots(t *testing.T) {
	fx := newFixture(t)
	other := writeFile(t, "other.pem", pki.Must(pki.NewCA("Other Root")).RootPEM())
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	f := testFleet(time.Minute, 1,
		endpoint(t, "trusted", srv.Addr, "svc.test", fx.caFile),
		endpoint(t, "untrusted", srv.Addr, "svc.test", other))
	obs := Round(context.Background(), f, RoundOptions{Probe: probeOpts()})
	if !obs[0].Verified {
		t.Errorf("against its own root: verified=false (%s)", obs[0].VerifyError)
	}
	if obs[1].Verified || !strings.Contains(obs[1].VerifyError, "unknown authority") {
		t.Errorf("against another root: verified=%v error %q, want an unknown authority", obs[1].Verified, obs[1].VerifyError)
	}
}
