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

// TestHAProxyRequiringClientCertificates runs a real HAProxy with
// `verify required` (skipped when haproxy is missing, unless
// CERTDECK_INTEGRATION=1). Without a client certificate the probe reports
// the served certificate, that the server asked for one and refused the
// connection, and the same status under TLS 1.2 (the refusal fails the
// handshake) and TLS 1.3 (it arrives after the client's handshake);
// with a client certificate HAProxy accepts, there is no note.
func TestHAProxyRequiringClientCertificates(t *testing.T) {
	probetest.RequireBinary(t, "haproxy")
	fx := newFixture(t)
	client := pki.Must(fx.inter.Issue(pki.Options{CommonName: "probe-client"}))
	site := probetest.HAProxySite{FullchainPEM: fx.leaf.FullchainPEM(), KeyPEM: fx.leaf.KeyPEM(), ClientCAPEM: fx.ca.RootPEM()}
	tls13, tls12 := site, site
	tls13.MinVersion = "TLSv1.3"
	tls12.MaxVersion = "TLSv1.2"
	hap := probetest.StartHAProxy(t, tls13, tls12)

	for i, version := range []string{"TLS 1.3", "TLS 1.2"} {
		t.Run(version+", none configured", func(t *testing.T) {
			ep := endpoint(t, "haproxy", hap.Servers[i].Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s; want the served certificate reported", o.ErrKind, o.Error)
			}
			if o.TLSVersion != version || o.Leaf().Serial != model.SerialHex(fx.leaf.Cert.SerialNumber) || !o.Verified {
				t.Fatalf("version %s serial %s verified %v, want %s and the served leaf", o.TLSVersion, o.Leaf().Serial, o.Verified, version)
			}
			if want := (model.ClientCertInfo{Requested: true, Required: true}); o.ClientCert != want {
				t.Errorf("client_cert = %+v, want %+v", o.ClientCert, want)
			}
			v := model.ClassifyEndpoint(o, ep.Thresholds, time.Now())
			if v.Status != model.OK || strings.Join(v.Reasons, "; ") != "requires a client certificate; none configured" {
				t.Errorf("verdict = %s %q, want the certificate's OK with the note", v.Status, v.Reasons)
			}
		})
		t.Run(version+", accepted", func(t *testing.T) {
			ep := endpoint(t, "haproxy", hap.Servers[i].Addr, "svc.test", fx.caFile)
			ep.ClientCert = writeFile(t, "client.pem", client.FullchainPEM())
			ep.ClientKey = writeFile(t, "client.key", client.KeyPEM())
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
			}
			if want := (model.ClientCertInfo{Requested: true, Sent: true}); o.ClientCert != want {
				t.Errorf("client_cert = %+v, want %+v", o.ClientCert, want)
			}
			if v := model.ClassifyEndpoint(o, ep.Thresholds, time.Now()); v.Status != model.OK || len(v.Reasons) != 0 {
				t.Errorf("verdict = %s %q, want OK with no note", v.Status, v.Reasons)
			}
			if !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
				t.Errorf("ticket = %+v, want HAProxy to resume the accepted session", o.Ticket)
			}
		})
	}
}
