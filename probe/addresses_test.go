package probe

import (
	"context"
	"crypto/tls"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// fixedResolver answers from a table, as a DNS server that knows the
// test's names would.
type fixedResolver map[string][]netip.Addr

func (r fixedResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// dualStack serves cert4 on 127.0.0.1:PORT and cert6 on [::1]:PORT (the
// same port, as the two nodes behind one name and port), recording the
// SNI each saw. It skips the test when the machine has no IPv6 loopback.
func dualStack(t *testing.T, cert4, cert6 tls.Certificate) (port string, sni chan string) {
	t.Helper()
	sni = make(chan string, 16)
	serve := func(cert tls.Certificate) func(net.Conn) {
		cfg := serverConfig(cert)
		cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			select {
			case sni <- h.ServerName:
			default:
			}
			return nil, nil
		}
		return func(c net.Conn) { probetest.ServeTLS(c, cfg) }
	}
	for range 20 {
		v4 := probetest.Serve(t, serve(cert4))
		if _, ok := probetest.ServeAt(t, "[::1]:"+v4.Port, serve(cert6)); ok {
			return v4.Port, sni
		}
		if _, ok := probetest.ServeAt(t, "[::1]:0", serve(cert6)); !ok {
			t.Skip("no IPv6 loopback on this machine: cannot serve a name on 127.0.0.1 and ::1")
		}
		v4.Close() // port taken on ::1: try another
	}
	t.Fatal("no port free on both 127.0.0.1 and ::1")
	return "", nil
}

// A name that resolves to 127.0.0.1 and ::1, each serving its own
// certificate: with all_ips each address is probed on its own with the
// name as SNI, the endpoint's status is its worst address's, and the
// observation lists both.
func TestAllIPsProbesEveryAddressOfAName(t *testing.T) {
	fx := newFixture(t)
	now := time.Now()
	fresh := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"dual.test"}, Serial: big.NewInt(0x4444)}))
	old := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"dual.test"}, Serial: big.NewInt(0x6666),
		NotBefore: now.AddDate(0, 0, -85), NotAfter: now.AddDate(0, 0, 3)}))
	port, sni := dualStack(t, fresh.TLSCertificate(), old.TLSCertificate())
	ep := endpoint(t, "dual", "dual.test:"+port, "dual.test", fx.caFile)
	ep.AllIPs = true
	opt := probeOpts()
	opt.Resolver = fixedResolver{"dual.test": {netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}}

	o := ProbeEndpoint(context.Background(), ep, opt)

	if len(o.Addresses) != 2 {
		t.Fatalf("%d addresses observed (%s), want 127.0.0.1 and ::1", len(o.Addresses), o.Error)
	}
	for i, want := range []struct{ ip, serial string }{{"127.0.0.1", "4444"}, {"::1", "6666"}} {
		a := o.Addresses[i]
		if a.Failed() || a.IP != want.ip || a.Leaf().Serial != want.serial || !a.Verified || !a.HostnameOK {
			t.Errorf("address %d: ip %s serial %s verified=%v hostname=%v (%s), want %s serving %s",
				i, a.IP, a.Leaf().Serial, a.Verified, a.HostnameOK, a.Error, want.ip, want.serial)
		}
	}
	for range 2 {
		if got := <-sni; got != "dual.test" {
			t.Errorf("a node saw SNI %q, want dual.test", got)
		}
	}
	if o.IP != "::1" || o.Leaf().Serial != "6666" {
		t.Errorf("endpoint shows %s serving %s, want its worst address ::1 serving 6666", o.IP, o.Leaf().Serial)
	}
	v := model.ClassifyEndpoint(o, ep.Thresholds, now)
	if v.Status != model.Crit || !strings.HasPrefix(v.Reasons[0], "::1: expires in") {
		t.Errorf("verdict %s %v, want CRIT from ::1 first", v.Status, v.Reasons)
	}
}

// Without all_ips the probe reaches one address, and when the first
// refuses, the next one of the name.
func TestProbeFallsBackToTheNextAddressOfAName(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	_, port := hostPort(t, srv.Addr)
	// The name's first address is a loopback address nothing listens on
	// at srv's port: it refuses.
	opt := probeOpts()
	opt.Resolver = fixedResolver{"svc.test": {netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")}}
	o := ProbeEndpoint(context.Background(), endpoint(t, "svc", "svc.test:"+port, "svc.test", fx.caFile), opt)
	if o.Failed() || o.IP != "127.0.0.1" || !o.Verified {
		t.Fatalf("probe: %s %s at %s, want the certificate from 127.0.0.1", o.ErrKind, o.Error, o.IP)
	}
	if len(o.Addresses) != 0 {
		t.Errorf("%d addresses listed without all_ips", len(o.Addresses))
	}
}

// Whoever answers for a name chooses how many addresses it has: all_ips
// probes each distinct address once and at most allIPsMax of them; the
// rest are a WARN that says how many were left out.
func TestAllIPsProbesABoundedNumberOfDistinctAddresses(t *testing.T) {
	fx := newFixture(t)
	leaf := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"many.test"}}))
	port, _ := dualStack(t, leaf.TLSCertificate(), leaf.TLSCertificate())
	ep := endpoint(t, "many", "many.test:"+port, "many.test", fx.caFile)
	ep.AllIPs = true
	opt := probeOpts()
	v4, v6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	opt.Resolver = fixedResolver{"many.test": {v4, v6, v4, v4, v6}}

	o := ProbeEndpoint(context.Background(), ep, opt)
	if len(o.Addresses) != 2 || o.AddressesSkipped != 0 {
		t.Fatalf("%d addresses probed, %d skipped, want each of the 2 distinct ones once", len(o.Addresses), o.AddressesSkipped)
	}

	defer func(m int) { allIPsMax = m }(allIPsMax)
	allIPsMax = 1
	o = ProbeEndpoint(context.Background(), ep, opt)
	if len(o.Addresses) != 1 || o.Addresses[0].IP != "127.0.0.1" || o.AddressesSkipped != 1 {
		t.Fatalf("with a bound of 1: %d addresses probed, %d skipped", len(o.Addresses), o.AddressesSkipped)
	}
	v := model.ClassifyEndpoint(o, ep.Thresholds, time.Now())
	if v.Status != model.Warn || !strings.Contains(strings.Join(v.Reasons, " "), "all_ips: 1 more address of the name was not probed (at most 1 are)") {
		t.Fatalf("verdict %s %q, want a WARN naming the address left out", v.Status, v.Reasons)
	}
}
