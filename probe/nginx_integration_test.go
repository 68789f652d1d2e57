package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

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
			p := newProber(probeOpts(), nil)
			o := p.probe(context.Background(), ep)
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
			}
			// nginx settles on X25519 and accepts the resumption check's
			// P-256-only ClientHello: no fallback was needed.
			if _, refused := p.p256Refused.Load(ep.Target.Addr()); refused {
				t.Errorf("nginx refused the P-256-only resumption handshake")
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
			if want := hex.EncodeToString(ticketKey[:16]); o.Ticket.KeyName != want || o.Ticket.Opaque || o.Ticket.Kind != model.TicketNamed {
				t.Errorf("ticket = %+v, want key name %s (first 16 bytes of the key file), not opaque", o.Ticket, want)
			}
			if !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
				t.Errorf("ticket = %+v, want nginx to resume its own ticket", o.Ticket)
			}
		})
	}
}

// TestNginxStapledOCSPFromOpenSSLResponder serves responses made by
// `openssl ocsp` (as the CA's responder, from an index file) through
// nginx's ssl_stapling_file: the probe reads good and revoked, with the
// revocation time and reason, under TLS 1.2 and 1.3, and a revoked staple
// makes the row CRIT.
func TestNginxStapledOCSPFromOpenSSLResponder(t *testing.T) {
	probetest.RequireBinary(t, "nginx")
	fx := newFixture(t)
	leaf := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	revokedAt := time.Now().Add(-26 * time.Hour).UTC().Truncate(time.Second)
	good := probetest.OpenSSLStaple{CA: fx.inter, Leaf: leaf}.Make(t)
	revoked := probetest.OpenSSLStaple{CA: fx.inter, Leaf: leaf, RevokedAt: revokedAt, Reason: "keyCompromise"}.Make(t)
	site := func(staple []byte, protocols string) probetest.NginxSite {
		return probetest.NginxSite{FullchainPEM: leaf.FullchainPEM(), KeyPEM: leaf.KeyPEM(), Staple: staple, Protocols: protocols}
	}
	ngx := probetest.StartNginx(t, site(good, "TLSv1.3"), site(revoked, "TLSv1.3"), site(revoked, "TLSv1.2"))

	cases := []struct {
		name   string
		server int
		status string
		want   model.Status
		reason string
	}{
		{"good, TLS 1.3", 0, model.OCSPGood, model.OK, ""},
		{"revoked, TLS 1.3", 1, model.OCSPRevoked, model.Crit, "revoked (stapled OCSP, keyCompromise, " + revokedAt.Format(time.DateOnly) + ")"},
		{"revoked, TLS 1.2", 2, model.OCSPRevoked, model.Crit, "revoked (stapled OCSP, keyCompromise, " + revokedAt.Format(time.DateOnly) + ")"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ep := endpoint(t, "nginx", ngx.Servers[tc.server].Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
			}
			s := o.OCSP
			if !s.Stapled || s.Status != tc.status || s.Error != "" {
				t.Fatalf("ocsp = %+v, want stapled %s and believed", s, tc.status)
			}
			// openssl ocsp -ndays 1: this update is now, next update a day later.
			if d := s.NextUpdate.Sub(s.ThisUpdate); d != 24*time.Hour {
				t.Errorf("this/next update %s / %s, want a day apart", s.ThisUpdate, s.NextUpdate)
			}
			if tc.status == model.OCSPRevoked && (!s.RevokedAt.Equal(revokedAt) || s.Reason != "keyCompromise") {
				t.Errorf("revoked at %s for %q, want %s for keyCompromise", s.RevokedAt, s.Reason, revokedAt)
			}
			v := model.ClassifyEndpoint(o, ep.Thresholds, time.Now())
			if v.Status != tc.want || (tc.reason != "" && v.Reasons[0] != tc.reason) {
				t.Errorf("verdict = %s %q, want %s %q", v.Status, v.Reasons, tc.want, tc.reason)
			}
		})
	}
}

// TestNginxResumesWithAnExpiredLeaf: the resumption check judges nginx's
// ticket keys, whatever its certificate: with an expired leaf it agrees
// with `openssl s_client -sess_in`, under TLS 1.2 and 1.3.
func TestNginxResumesWithAnExpiredLeaf(t *testing.T) {
	probetest.RequireBinary(t, "nginx")
	fx := newFixture(t)
	now := time.Now()
	expired := pki.Must(fx.inter.Issue(pki.Options{DNSNames: []string{"svc.test"},
		NotBefore: now.AddDate(0, -3, 0), NotAfter: now.AddDate(0, 0, -1)}))
	site := probetest.NginxSite{FullchainPEM: expired.FullchainPEM(), KeyPEM: expired.KeyPEM()}
	tls13, tls12 := site, site
	tls13.Protocols, tls12.Protocols = "TLSv1.3", "TLSv1.2"
	ngx := probetest.StartNginx(t, tls13, tls12)
	for i, version := range []string{"-tls1_3", "-tls1_2"} {
		t.Run(version, func(t *testing.T) {
			addr := ngx.Servers[i].Addr
			o := ProbeEndpoint(context.Background(), endpoint(t, "nginx", addr, "svc.test", fx.caFile), probeOpts())
			if o.Failed() || o.Verified {
				t.Fatalf("probe: %s verified=%v; want the expired certificate seen, not verified", o.Error, o.Verified)
			}
			openssl := probetest.OpenSSLResumes(t, addr, "svc.test", version)
			if !openssl {
				t.Fatal("openssl s_client does not resume either: the fixture is wrong")
			}
			if !o.Ticket.ResumeChecked || !o.Ticket.Resumed || o.Ticket.Kind != model.TicketNamed {
				t.Fatalf("ticket = %+v, want named, checked and resumed, as openssl resumes", o.Ticket)
			}
		})
	}
}

// TestNginxWithTicketsOffClassifiedTruly: with ssl_session_tickets off,
// nginx (OpenSSL) issues stateful tickets under TLS 1.3 and resumes by
// session ID under TLS 1.2 when it has a session cache. The probe names
// each kind and agrees with `openssl s_client -sess_out/-sess_in` on
// whether it resumes, including a TLS 1.2 server that hands out session
// IDs but keeps no cache (ssl_session_cache none).
func TestNginxWithTicketsOffClassifiedTruly(t *testing.T) {
	probetest.RequireBinary(t, "nginx")
	fx := newFixture(t)
	site := func(protocols, cache string) probetest.NginxSite {
		return probetest.NginxSite{FullchainPEM: fx.leaf.FullchainPEM(), KeyPEM: fx.leaf.KeyPEM(),
			Protocols: protocols, NoTickets: true, SessionCache: cache}
	}
	ngx := probetest.StartNginx(t, site("TLSv1.3", "shared:T13:1m"), site("TLSv1.2", "shared:T12:1m"), site("TLSv1.2", "none"))
	cases := []struct {
		name    string
		version string
		kind    model.TicketKind
		resumed bool
	}{
		{"TLS 1.3, session cache", "-tls1_3", model.TicketStateful, true},
		{"TLS 1.2, session cache", "-tls1_2", model.TicketSessionID, true},
		{"TLS 1.2, no session cache", "-tls1_2", model.TicketSessionID, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := ngx.Servers[i].Addr
			o := ProbeEndpoint(context.Background(), endpoint(t, "nginx", addr, "svc.test", fx.caFile), probeOpts())
			if o.Failed() {
				t.Fatalf("probe failed: %s: %s", o.ErrKind, o.Error)
			}
			if openssl := probetest.OpenSSLResumes(t, addr, "svc.test", tc.version); openssl != tc.resumed {
				t.Fatalf("openssl s_client resumes = %v, want %v: the fixture is wrong", openssl, tc.resumed)
			}
			tk := o.Ticket
			if tk.Kind != tc.kind || tk.Opaque || tk.KeyName != "" || !tk.ResumeChecked || tk.Resumed != tc.resumed {
				t.Fatalf("ticket = %+v, want kind %s, checked, resumed %v (as openssl)", tk, tc.kind, tc.resumed)
			}
		})
	}
}
