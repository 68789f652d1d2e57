package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// TestNginxServedCertificateAndTicketKeyName runs a real nginx on
// 127.0.0.1 (skipped when nginx is missing, unless CERTDECK_INTEGRATION=1)
// and checks what the probe reports against what nginx was given: the
// serial and expiry of its certificate, and the ticket key name equal to
// the first 16 bytes of its ssl_session_ticket_key file, in TLS 1.2 and 1.3.
func TestNginxServedCertificateAndTicketKeyName(t *testing.T) {
	probetest.RequireBinary(t, "nginx")
	fx := newFixture(t)
	leaf := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	ticketKey := make([]byte, 48) // name 16 | AES-128 16 | HMAC 16
	if _, err := rand.Read(ticketKey); err != nil {
		t.Fatal(err)
	}
	site := probetest.NginxSite{FullchainPEM: leaf.FullchainPEM(), KeyPEM: leaf.KeyPEM(), TicketKeys: [][]byte{ticketKey}}
	tls13, tls12 := site, site
	tls13.Protocols, tls12.Protocols = "TLSv1.3", "TLSv1.2"
	ngx := probetest.StartNginx(t, tls13, tls12)

	for i, version := range []string{"TLS 1.3", "TLS 1.2"} {
		t.Run(version, func(t *testing.T) {
			ep := endpoint(t, "nginx", ngx.Servers[i].Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
			}
			if o.TLSVersion != version {
				t.Errorf("version = %s, want %s", o.TLSVersion, version)
			}
			if got, want := o.Leaf().Serial, model.SerialHex(leaf.Cert.SerialNumber); got != want {
				t.Errorf("serial = %s, want %s", got, want)
			}
			if got, want := o.Leaf().NotAfter, leaf.Cert.NotAfter.UTC(); !got.Equal(want) {
				t.Errorf("not_after = %s, want %s", got, want)
			}
			if !o.Verified || !o.HostnameOK || len(o.Chain) != 2 {
				t.Errorf("verified=%v hostname=%v chain=%d (%s)", o.Verified, o.HostnameOK, len(o.Chain), o.VerifyError)
			}
			if want := hex.EncodeToString(ticketKey[:16]); o.Ticket.KeyName != want || o.Ticket.Opaque {
				t.Errorf("ticket = %+v, want key name %s (first 16 bytes of the key file), not opaque", o.Ticket, want)
			}
			if !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
				t.Errorf("ticket = %+v, want nginx to resume its own ticket", o.Ticket)
			}
		})
	}
}
