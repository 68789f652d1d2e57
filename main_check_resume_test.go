package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"certdeck/demo/pki"
	"certdeck/probe/probetest"
)

// checkTicketJSON runs check --format json on addr and returns the
// endpoint's ticket object.
func checkTicketJSON(t *testing.T, addr, caFile string, flags ...string) map[string]any {
	t.Helper()
	args := append([]string{addr, "--ca", caFile, "--sni", "svc.test", "--timeout", "5s", "--format", "json"}, flags...)
	out, code, _ := runCheckCmd(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d:\n%s", flags, code, out)
	}
	var doc struct {
		Endpoints []struct {
			Ticket map[string]any `json:"ticket"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %v\n%s", flags, err, out)
	}
	return doc.Endpoints[0].Ticket
}

// Against nginx under TLS 1.3, which sends two tickets per connection,
// a first check confirms the key name by a second connection (two tickets
// of one Dovecot connection share a prefix too), which resumes; later
// checks find the name in the ticket history, capture it with one
// handshake and say resumption was not checked (null); --resumption
// checks it.
func TestCheckChecksResumptionOnlyWhenAsked(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // one ticket history for the three runs
	ca := pki.Must(pki.NewCA("Check Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 80)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	ngx := probetest.StartNginx(t, probetest.NginxSite{FullchainPEM: leaf.FullchainPEM(), KeyPEM: leaf.KeyPEM(),
		TicketKeys: [][]byte{key}, Protocols: "TLSv1.3"})
	for _, tc := range []struct {
		flags   []string
		resumed any
	}{{nil, true}, {nil, nil}, {[]string{"--resumption"}, true}} {
		ticket := checkTicketJSON(t, ngx.Servers[0].Addr, caFile, tc.flags...)
		if r, ok := ticket["resumed"]; !ok || r != tc.resumed || ticket["kind"] != "named" || ticket["key_name"] != hex.EncodeToString(key[:16]) {
			t.Errorf("%v: ticket = %v, want named %x, resumed %v", tc.flags, ticket, key[:16], tc.resumed)
		}
	}
}

// One ticket cannot tell a key name from a random prefix: against a Go
// server (one TLS 1.3 ticket per connection, random prefixes) check still
// reports opaque tickets, never the prefix as a key name.
func TestCheckNeverReportsARandomPrefixAsAKeyName(t *testing.T) {
	addr, caFile, _ := checkServer(t, pki.Options{})
	ticket := checkTicketJSON(t, addr, caFile)
	if ticket["kind"] != "opaque" || ticket["key_name"] != "" {
		t.Errorf("ticket = %v, want opaque with no key name", ticket)
	}
}
