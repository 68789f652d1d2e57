package model

import (
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
)

// A server with an RSA and an ECDSA certificate is judged against a bundle
// through the certificate of the bundle's key type: serving the bundle's
// ECDSA leaf to the clients that prefer ECDSA is in sync although the
// probe's own handshake got the RSA one; serving an older ECDSA leaf is
// drift, named by that leaf; and when the server could not be asked for
// its other certificate, the drift says so.
func TestDualCertificateServerDriftsByTheBundlesKeyType(t *testing.T) {
	w := newBundleWorld(t)
	// Issued before the bundle's leaf, so that serving only it is "older".
	rsaLeaf := DescribeCert(pki.Must(w.ca.Issue(pki.Options{DNSNames: []string{"web.test"}, KeyType: pki.RSA2048, NotBefore: time.Now().Add(-72 * time.Hour)})).Cert)
	dual := func(endpoint string, other *pki.Leaf, unchecked string) *Observation {
		o := &Observation{Endpoint: endpoint, Time: w.at, Verified: true, HostnameOK: true, Chain: []CertInfo{rsaLeaf}, OtherKeyUnchecked: unchecked}
		if other != nil {
			o.AlsoServes = []ServedCert{{Chain: []CertInfo{DescribeCert(other.Cert)}, Verified: true, HostnameOK: true}}
		}
		return o
	}
	const refused = "the server refuses TLS 1.2, so whether it also serves an ECDSA certificate could not be checked"
	s := NewState(servingFleet())
	s.Apply(w.at, []Event{dual("web-1", w.new, ""), dual("web-2", w.old, ""), dual("web-3", nil, refused), w.snapshot(2, true, w.at)})

	if d := s.Bundle("web").DriftSummary(); d != "1/3 in sync" {
		t.Errorf("drift summary %q, want 1/3 in sync (web-1)", d)
	}
	web1 := s.Endpoint("web-1")
	if web1.Verdict.Status != OK {
		t.Errorf("web-1 serves the bundle's ECDSA leaf beside its RSA one: %s %q", web1.Verdict.Status, web1.Verdict.Reasons)
	}
	web2 := strings.Join(s.Endpoint("web-2").Verdict.Reasons, "\n")
	if !strings.Contains(web2, "serves an older certificate (serial "+SerialHex(w.old.Cert.SerialNumber)) {
		t.Errorf("web-2 serves the older ECDSA leaf: %q", web2)
	}
	web3 := s.Endpoint("web-3").Verdict
	if web3.Status != Warn || !strings.Contains(strings.Join(web3.Reasons, "\n"), "reload needed ("+refused+")") {
		t.Errorf("web-3: %s %q", web3.Status, web3.Reasons)
	}
}

// Whatever the probe's own handshake got, every certificate the server
// hands out is judged: the worst is the status, and with two certificates
// each reason names its certificate.
func TestAlsoServedCertificateIsJudged(t *testing.T) {
	now := time.Now()
	th := Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}
	good := CertInfo{Serial: "aa", Key: "RSA 2048", NotBefore: now.Add(-time.Hour), NotAfter: now.Add(80 * 24 * time.Hour), SANs: []string{"web.test"}}
	expired := CertInfo{Serial: "bb", Key: "ECDSA P-256", NotBefore: now.Add(-90 * 24 * time.Hour), NotAfter: now.Add(-48 * time.Hour)}
	o := &Observation{Verified: true, HostnameOK: true, HostChecked: "web.test", Chain: []CertInfo{good},
		AlsoServes: []ServedCert{{Chain: []CertInfo{expired}, Verified: true, HostnameOK: true}}}
	v := ClassifyEndpoint(o, th, now)
	if v.Status != Crit || v.Reasons[0] != "also serves an ECDSA certificate (serial bb): expired "+expired.NotAfter.Format(time.DateOnly)+" (2 days ago)" {
		t.Errorf("expired ECDSA beside valid RSA: %s %q", v.Status, v.Reasons)
	}

	o.Chain, o.AlsoServes[0].Chain = []CertInfo{expired}, []CertInfo{good}
	o.AlsoServes[0].HostnameOK = false
	v = ClassifyEndpoint(o, th, now)
	want := []string{"ECDSA certificate (serial bb): expired " + expired.NotAfter.Format(time.DateOnly) + " (2 days ago)",
		"also serves an RSA certificate (serial aa): certificate does not match host web.test (it covers web.test)"}
	if v.Status != Crit || strings.Join(v.Reasons, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %s %q, want CRIT %q", v.Status, v.Reasons, want)
	}
}
