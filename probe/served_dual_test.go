package probe

import (
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
	"certdeck/rotate"
)

// After a publish of the ECDSA bundle to a server that also holds an RSA
// certificate, the probe's own handshake still gets the RSA leaf (Go's
// client lists RSA-PSS first); verification must see the ECDSA leaf that
// clients preferring ECDSA are served, and say verified.
func TestVerificationOfADualServerSeesTheOtherKeyTypesLeaf(t *testing.T) {
	ca, rsaLeaf, ecdsaLeaf := dualCerts(t, "")
	srv := probetest.StartTLSServer(t, opensslChoice(rsaLeaf.TLSCertificate(), ecdsaLeaf.TLSCertificate()))
	ep := endpoint(t, "dual", srv.Addr, "svc.test", writeFile(t, "ca.pem", ca.RootPEM()))
	p := NewServedProber(&model.Fleet{Endpoints: []model.Endpoint{ep}, Timeout: testTimeout}, ProbeOptions{})
	rsaSerial, ecSerial := model.SerialHex(rsaLeaf.Cert.SerialNumber), model.SerialHex(ecdsaLeaf.Cert.SerialNumber)

	serials, err := p.ServedSerials(t.Context(), "dual")
	if err != nil || len(serials) != 2 || serials[0] != rsaSerial || serials[1] != ecSerial {
		t.Fatalf("ServedSerials = %v, %v; want the RSA leaf, then the ECDSA one", serials, err)
	}
	opt := rotate.VerifyOptions{Timeout: 5 * time.Second, Clock: time.Now}
	for _, want := range []string{ecSerial, rsaSerial} {
		got := rotate.VerifyServed(t.Context(), p, []rotate.VerifyTarget{{Endpoint: "dual", Want: want}}, opt, nil)
		if len(got) != 1 || got[0].State != rotate.EndpointVerified {
			t.Errorf("verifying that the dual server serves %s: %+v", want, got)
		}
	}
}
