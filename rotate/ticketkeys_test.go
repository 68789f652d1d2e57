package rotate

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"certdeck/model"
)

// goTicketServer serves TLS on 127.0.0.1 with tk installed; every
// connection gets "ok" and is closed.
func goTicketServer(t *testing.T, tk *TicketKeys, version uint16) string {
	t.Helper()
	leaf := issue(t, "go.ticket.test")
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}, MinVersion: version, MaxVersion: version}
	tk.Install(cfg)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write([]byte("ok"))
			}()
		}
	}()
	return ln.Addr().String()
}

// oneSession is a client session cache that offers at most the session it
// was given and records the last session the server issued.
type oneSession struct {
	offer *tls.ClientSessionState
	got   *tls.ClientSessionState
}

func (c *oneSession) Get(string) (*tls.ClientSessionState, bool) { return c.offer, c.offer != nil }
func (c *oneSession) Put(_ string, cs *tls.ClientSessionState) {
	if cs != nil {
		c.got = cs
	}
}

// dialTicket connects (offering offer, if any) and returns whether the
// handshake resumed and the ticket the server issued.
func dialTicket(t *testing.T, addr string, offer *tls.ClientSessionState) (resumed bool, issued *tls.ClientSessionState, ticket []byte) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(fixtures.root.Cert)
	cache := &oneSession{offer: offer}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: roots, ServerName: "go.ticket.test", ClientSessionCache: cache})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	io.ReadAll(c) // TLS 1.3 tickets arrive after the handshake
	resumed = c.ConnectionState().DidResume
	if cache.got != nil {
		ticket, _, _ = cache.got.ResumptionState()
	}
	return resumed, cache.got, ticket
}

// TestGoServerTicketsNameTheirKeyAndHonourRotation: a Go server using
// TicketKeys issues tickets whose first 16 bytes are the current key's
// name (what probes read on nginx); after a rotation it encrypts with the
// former next key while a ticket of the former current one still resumes;
// two rotations later that key is gone and the ticket no longer resumes.
func TestGoServerTicketsNameTheirKeyAndHonourRotation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version uint16
		format  model.TicketFormat
	}{
		{"TLS 1.3 nginx80", tls.VersionTLS13, model.TicketNginx80},
		{"TLS 1.2 haproxy", tls.VersionTLS12, model.TicketHAProxy},
		{"TLS 1.3 nginx48", tls.VersionTLS13, model.TicketNginx48},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &TicketDir{Dir: t.TempDir(), Format: tc.format}
			mustInit(t, d)
			reloaded := make(chan string, 8)
			tk, err := NewTicketKeys(d.Dir, tc.format, TicketKeysOptions{OnReload: func(cur string) { reloaded <- cur }})
			if err != nil {
				t.Fatal(err)
			}
			defer tk.Close()
			addr := goTicketServer(t, tk, tc.version)
			set, _ := loadSet(t, d)

			_, old, ticket := dialTicket(t, addr, nil)
			if old == nil || hex.EncodeToString(ticket[:16]) != set.Current.Name() {
				t.Fatalf("ticket does not start with the current key's name %s", set.Current.Name())
			}
			if resumed, _, _ := dialTicket(t, addr, old); !resumed {
				t.Fatal("the server does not resume its own ticket")
			}

			rotateAndWait := func() {
				t.Helper()
				res := mustRotate(t, d)
				// A reload may land between the rotation's renames (every
				// state between them is safe to serve); wait for the end.
				deadline := time.After(5 * time.Second)
				for {
					select {
					case cur := <-reloaded:
						if cur == res.After[model.RoleCurrent] {
							return
						}
					case <-deadline:
						t.Fatalf("the server did not reload the rotated keys (want current %s)", res.After[model.RoleCurrent])
					}
				}
			}
			rotateAndWait()
			_, _, ticket = dialTicket(t, addr, nil)
			if hex.EncodeToString(ticket[:16]) != set.Next.Name() {
				t.Fatalf("after rotation tickets carry %x, want the former next key %s", ticket[:16], set.Next.Name())
			}
			if resumed, _, _ := dialTicket(t, addr, old); !resumed {
				t.Fatal("a ticket of the former current key (now previous) does not resume")
			}
			rotateAndWait()
			rotateAndWait()
			if resumed, _, _ := dialTicket(t, addr, old); resumed {
				t.Fatal("a ticket whose key was dropped still resumes")
			}
		})
	}
}

// TestGoServerIgnoresForgedTickets: a ticket with one bit changed (MAC,
// body or name) is not an error: the client gets a full handshake.
func TestGoServerIgnoresForgedTickets(t *testing.T) {
	d := &TicketDir{Dir: t.TempDir(), Format: model.TicketNginx80}
	mustInit(t, d)
	tk, err := NewTicketKeys(d.Dir, d.Format, TicketKeysOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	addr := goTicketServer(t, tk, tls.VersionTLS13)
	_, cs, ticket := dialTicket(t, addr, nil)
	if resumed, _, _ := dialTicket(t, addr, cs); !resumed {
		t.Fatal("the genuine ticket does not resume")
	}
	_, state, err := cs.ResumptionState()
	if err != nil {
		t.Fatal(err)
	}
	for name, at := range map[string]int{"name": 3, "iv": 20, "body": 40, "mac": len(ticket) - 1} {
		forged := append([]byte(nil), ticket...)
		forged[at] ^= 0x40
		fcs, err := tls.NewResumptionState(forged, state)
		if err != nil {
			t.Fatal(err)
		}
		if resumed, _, _ := dialTicket(t, addr, fcs); resumed {
			t.Errorf("a ticket with its %s changed resumed", name)
		}
	}
}

func TestNewTicketKeysRefusesAnIncompleteDir(t *testing.T) {
	d := &TicketDir{Dir: t.TempDir(), Format: model.TicketNginx48}
	mustInit(t, d)
	removeFile(t, d.Dir, "next.key")
	if _, err := NewTicketKeys(d.Dir, d.Format, TicketKeysOptions{}); err == nil {
		t.Fatal("loaded a dir without next.key")
	}
}

func removeFile(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}
