package probetest

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
)

// Script is the server side of a plain-text STARTTLS dialogue: it talks to
// the client on rw and returns true when the connection should switch to
// TLS.
type Script func(rw *bufio.ReadWriter) bool

// StartTLSFake runs a fake server for proto ("smtp", "imap", "pop3", "ftp",
// "postgres") that performs the protocol's upgrade dialogue the way real
// servers do, then a TLS handshake with cfg.
func StartTLSFake(t testing.TB, proto string, cfg *tls.Config) *Server {
	t.Helper()
	script, ok := Scripts[proto]
	if !ok {
		t.Fatalf("no fake STARTTLS server for %q", proto)
	}
	return StartTLSScript(t, script, cfg)
}

// StartTLSScript runs script on each connection and, when it says so, a
// TLS handshake with cfg. Tests use it for broken dialogues.
func StartTLSScript(t testing.TB, script Script, cfg *tls.Config) *Server {
	t.Helper()
	return Serve(t, func(c net.Conn) {
		rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
		if !script(rw) {
			drainBriefly(c)
			return
		}
		ServeTLS(c, cfg)
	})
}

// Scripts holds a well-behaved dialogue per protocol.
var Scripts = map[string]Script{
	"smtp": func(rw *bufio.ReadWriter) bool {
		say(rw, "220-mail.test ESMTP fake\r\n220 mail.test ready\r\n")
		if !strings.HasPrefix(strings.ToUpper(hear(rw)), "EHLO ") {
			return false
		}
		say(rw, "250-mail.test greets you\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
		if strings.ToUpper(hear(rw)) != "STARTTLS" {
			return false
		}
		say(rw, "220 2.0.0 Ready to start TLS\r\n")
		return true
	},
	"imap": func(rw *bufio.ReadWriter) bool {
		say(rw, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake ready\r\n")
		tag, cmd, _ := strings.Cut(hear(rw), " ")
		if !strings.EqualFold(cmd, "STARTTLS") {
			return false
		}
		say(rw, "* CAPABILITY IMAP4rev1 STARTTLS\r\n"+tag+" OK Begin TLS negotiation now\r\n")
		return true
	},
	"pop3": func(rw *bufio.ReadWriter) bool {
		say(rw, "+OK fake POP3 ready\r\n")
		if strings.ToUpper(hear(rw)) != "STLS" {
			return false
		}
		say(rw, "+OK Begin TLS negotiation\r\n")
		return true
	},
	"ftp": func(rw *bufio.ReadWriter) bool {
		say(rw, "220-Welcome to the fake FTP\r\n second line without code\r\n220 ready\r\n")
		if strings.ToUpper(hear(rw)) != "AUTH TLS" {
			return false
		}
		say(rw, "234 AUTH TLS successful\r\n")
		return true
	},
	"postgres": func(rw *bufio.ReadWriter) bool {
		var req [8]byte
		if _, err := io.ReadFull(rw, req[:]); err != nil {
			return false
		}
		if binary.BigEndian.Uint32(req[:4]) != 8 || binary.BigEndian.Uint32(req[4:]) != 80877103 {
			return false
		}
		say(rw, "S")
		return true
	},
}

// say writes and flushes; errors surface as the client's read failing.
func say(rw *bufio.ReadWriter, s string) {
	_, _ = rw.WriteString(s)
	_ = rw.Flush()
}

// hear reads one command line without its line ending.
func hear(rw *bufio.ReadWriter) string {
	line, _ := rw.ReadString('\n')
	return strings.TrimRight(line, "\r\n")
}

// Say and Hear are exported for custom scripts in tests.
func Say(rw *bufio.ReadWriter, s string) { say(rw, s) }

// Hear reads one command line without its line ending.
func Hear(rw *bufio.ReadWriter) string { return hear(rw) }
