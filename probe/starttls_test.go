package probe

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"

	"certdeck/model"
	"certdeck/probe/probetest"
)

func TestStartTLSPerProtocol(t *testing.T) {
	fx := newFixture(t)
	for _, proto := range []string{"smtp", "imap", "pop3", "ftp", "postgres"} {
		t.Run(proto, func(t *testing.T) {
			srv := probetest.StartTLSFake(t, proto, serverConfig(fx.leaf.TLSCertificate()))
			ep := endpoint(t, proto, proto+"://"+srv.Addr, "svc.test", fx.caFile)
			o := ProbeEndpoint(context.Background(), ep, probeOpts())
			if o.Failed() {
				t.Fatalf("probe: %s: %s", o.ErrKind, o.Error)
			}
			if !o.Verified || o.Leaf().Serial != model.SerialHex(fx.leaf.Cert.SerialNumber) {
				t.Fatalf("verified=%v serial=%s, want the served leaf", o.Verified, o.Leaf().Serial)
			}
			if o.ALPN != "" {
				t.Errorf("ALPN %q negotiated on a STARTTLS service; h2 must only be offered on direct TLS", o.ALPN)
			}
			if !o.Ticket.Resumed {
				t.Errorf("resumption check did not redo the %s dialogue: %+v", proto, o.Ticket)
			}
		})
	}
}

func TestStartTLSFailuresAreStartTLSErrors(t *testing.T) {
	fx := newFixture(t)
	cases := []struct {
		name    string
		proto   string
		script  probetest.Script
		message string
	}{
		{"smtp without STARTTLS", "smtp", func(rw *bufio.ReadWriter) bool {
			probetest.Say(rw, "220 mail ready\r\n")
			probetest.Hear(rw)
			probetest.Say(rw, "250-mail\r\n250 8BITMIME\r\n")
			probetest.Hear(rw)
			return false
		}, "does not offer STARTTLS"},
		{"smtp busy", "smtp", func(rw *bufio.ReadWriter) bool {
			probetest.Say(rw, "554 no service\r\n")
			return false
		}, `"554 no service"`},
		{"imap refuses", "imap", func(rw *bufio.ReadWriter) bool {
			probetest.Say(rw, "* OK ready\r\n")
			probetest.Hear(rw)
			probetest.Say(rw, "a1 NO not now\r\n")
			return false
		}, "STARTTLS refused"},
		{"pop3 refuses", "pop3", func(rw *bufio.ReadWriter) bool {
			probetest.Say(rw, "+OK ready\r\n")
			probetest.Hear(rw)
			probetest.Say(rw, "-ERR no TLS\r\n")
			return false
		}, "STLS refused"},
		{"ftp refuses", "ftp", func(rw *bufio.ReadWriter) bool {
			probetest.Say(rw, "220 ftp\r\n")
			probetest.Hear(rw)
			probetest.Say(rw, "530 no\r\n")
			return false
		}, "AUTH TLS refused"},
		{"postgres without SSL", "postgres", func(rw *bufio.ReadWriter) bool {
			buf := make([]byte, 8)
			_, _ = rw.Read(buf)
			probetest.Say(rw, "N")
			return false
		}, "does not accept SSL"},
		{"injected bytes after STARTTLS", "smtp", func(rw *bufio.ReadWriter) bool {
			probetest.Say(rw, "220 mail\r\n")
			probetest.Hear(rw)
			probetest.Say(rw, "250 STARTTLS\r\n")
			probetest.Hear(rw)
			probetest.Say(rw, "220 go ahead\r\n250 injected\r\n")
			return false
		}, "unexpected bytes"},
		{"endless line", "pop3", func(rw *bufio.ReadWriter) bool {
			probetest.Say(rw, "+OK "+strings.Repeat("x", 10000))
			return false
		}, "longer than"},
		{"closes during dialogue", "imap", func(rw *bufio.ReadWriter) bool { return false }, "closed the connection"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := probetest.StartTLSScript(t, tc.script, serverConfig(fx.leaf.TLSCertificate()))
			o := ProbeEndpoint(context.Background(), endpoint(t, "x", tc.proto+"://"+srv.Addr, "svc.test", fx.caFile), probeOpts())
			if o.ErrKind != model.ErrStartTLS || !strings.Contains(o.Error, tc.message) {
				t.Fatalf("got %s: %q, want starttls containing %q", o.ErrKind, o.Error, tc.message)
			}
		})
	}
}

func TestStartTLSReplyParsing(t *testing.T) {
	cases := []struct {
		name  string
		input string
		code  int
		lines int
		err   string
	}{
		{"single", "220 ready\r\n", 220, 1, ""},
		{"bare code", "220\r\n", 220, 1, ""},
		{"multi", "250-a\r\n250-b\r\n250 c\r\n", 250, 3, ""},
		{"ftp uncoded middle", "220-a\r\n free text\r\n220 end\r\n", 220, 3, ""},
		{"no code", "hello\r\n", 0, 0, "3-digit code"},
		{"bad separator", "220xready\r\n", 0, 0, "space or '-'"},
		{"truncated", "250-a\r\n", 0, 0, "closed the connection"},
		{"lf only", "220 ok\n", 220, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, lines, err := readCodedReply(bufio.NewReaderSize(strings.NewReader(tc.input), maxReplyLine))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || code != tc.code || len(lines) != tc.lines {
				t.Fatalf("got %d %q %v, want %d with %d lines", code, lines, err, tc.code, tc.lines)
			}
		})
	}
}

// TestStartTLSDialogueOverPipe checks the client side against a scripted
// peer without sockets, including the exact commands sent.
func TestStartTLSDialogueOverPipe(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	got := make(chan string, 1)
	go func() {
		defer server.Close()
		rw := bufio.NewReadWriter(bufio.NewReader(server), bufio.NewWriter(server))
		probetest.Say(rw, "220 hi\r\n")
		ehlo := probetest.Hear(rw)
		probetest.Say(rw, "250-hi\r\n250 STARTTLS\r\n")
		got <- ehlo + "|" + probetest.Hear(rw)
		probetest.Say(rw, "220 go\r\n")
	}()
	if err := startTLS(client, model.ProtoSMTP); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "EHLO certdeck.invalid|STARTTLS" {
		t.Fatalf("client sent %q", s)
	}
}
