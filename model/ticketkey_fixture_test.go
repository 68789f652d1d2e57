package model_test

import (
	"os"
	"path/filepath"
	"testing"

	"certdeck/model"
	"certdeck/probe/probetest"
)

// TestCapturedTicketsOpenWithParsedKeys opens tickets that real nginx 1.22
// and HAProxy 2.6 issued (testdata/tickets, captured by probe's
// TestNginx/HAProxyTicketKeysFromCertdeckAcrossRotation with
// -update-ticket-fixtures) with the halves model parsed from the key file
// that sealed them: the MAC verifies and the body decrypts to an
// SSL_SESSION. A parser that swapped the HMAC and AES halves (nginx's and
// HAProxy's 80-byte layouts are each other's swap) fails here, no server
// needed.
func TestCapturedTicketsOpenWithParsedKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format model.TicketFormat
	}{
		{"nginx80-80", model.TicketNginx80},
		{"nginx48-48", model.TicketNginx48},
		{"haproxy-80", model.TicketHAProxy},
		{"haproxy-48", model.TicketHAProxy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keyFile, err := os.ReadFile(filepath.Join("testdata", "tickets", tc.name+".key"))
			if err != nil {
				t.Fatal(err)
			}
			ticket, err := os.ReadFile(filepath.Join("testdata", "tickets", tc.name+".ticket"))
			if err != nil {
				t.Fatal(err)
			}
			var key model.TicketKey
			if tc.format == model.TicketHAProxy {
				keys, err := model.ParseHAProxyTicketKeys(keyFile)
				if err != nil {
					t.Fatal(err)
				}
				_, key, _ = model.HAProxyRoles(keys) // the second-to-last line encrypts
			} else if key, err = model.ParseTicketKey(tc.format, keyFile); err != nil {
				t.Fatal(err)
			}
			name := key.NameBytes()
			if string(ticket[:16]) != string(name[:]) {
				t.Fatalf("the ticket names another key than %s", key.Name())
			}
			if err := probetest.OpenSSLTicket(ticket, key.AESKey().Bytes(), key.HMACKey().Bytes()); err != nil {
				t.Fatalf("%s ticket does not open with the parsed key: %v", tc.name, err)
			}
		})
	}
}
