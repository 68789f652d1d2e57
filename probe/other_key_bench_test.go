package probe

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// BenchmarkOtherKeyCheck prices the handshake that asks a server for a
// certificate of the other key type (other_key.go) on every probe, as a
// new server costs it (what it learned is forgotten before each probe):
// probes with it and without it, interleaved, against a local Go server
// with one RSA certificate (the server refuses: no suite in common; a
// server with one ECDSA certificate under TLS 1.3 is not asked at all)
// and one with an RSA and an ECDSA certificate chosen as OpenSSL does (the
// server sends its ECDSA chain; the probe stops there). It reports the
// probe's wall and CPU time (both ends) with the check over without.
// A `check` round asks each server once, a console once an hour unless the
// server has a second certificate.
//
//	go test -run '^$' -bench BenchmarkOtherKeyCheck -benchtime 500x ./probe/
func BenchmarkOtherKeyCheck(b *testing.B) {
	ca := pki.Must(pki.NewCA("Bench Root"))
	ecdsaLeaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	rsaLeaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}, KeyType: pki.RSA2048}))
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
	}{
		{"single-rsa", probetest.Config(rsaLeaf.TLSCertificate())},
		{"rsa+ecdsa", opensslChoice(rsaLeaf.TLSCertificate(), ecdsaLeaf.TLSCertificate())},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := probetest.StartTLSServer(b, tc.cfg)
			target, _ := model.ParseTarget(srv.Addr)
			ep := model.Endpoint{Name: "bench", Address: srv.Addr, Target: target, SNI: "svc.test"}
			with := newProber(ProbeOptions{Roots: ca.Pool(), Timeout: 10 * time.Second, NoResume: true}, nil)
			withoutOpt := with.opt
			withoutOpt.skipOtherKey = true
			without := newProber(withoutOpt, nil)
			probe := func(p *prober) {
				if o := p.probe(context.Background(), ep); o.Failed() {
					b.Fatal(o.Error)
				}
			}
			var withD, withoutD, withCPU, withoutCPU time.Duration
			for b.Loop() {
				t0, c0 := time.Now(), cpuTime()
				probe(without)
				with.otherKeys.Clear() // every probe asks, as if each were a new server
				t1, c1 := time.Now(), cpuTime()
				probe(with)
				t2, c2 := time.Now(), cpuTime()
				withoutD, withoutCPU = withoutD+t1.Sub(t0), withoutCPU+c1-c0
				withD, withCPU = withD+t2.Sub(t1), withCPU+c2-c1
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
			b.ReportMetric(per(withD), "with-ns/op")
			b.ReportMetric(per(withoutD), "without-ns/op")
			b.ReportMetric(per(withCPU), "with-cpu-ns/op")
			b.ReportMetric(per(withoutCPU), "without-cpu-ns/op")
			b.ReportMetric(float64(withD)/float64(withoutD), "ratio")
			b.ReportMetric(float64(withCPU)/float64(withoutCPU), "cpu-ratio")
		})
	}
}
