package demo

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"time"

	"certdeck/model"
)

// smtpStartTLS: a small fake SMTP server that greets, answers EHLO with
// STARTTLS and upgrades the connection, as Postfix does on port 25.
func smtpStartTLS(b *Builder) error {
	name := "mail.demo.test"
	leaf, err := b.leaf(name, time.Now().Add(-time.Hour), time.Now().Add(50*24*time.Hour))
	if err != nil {
		return err
	}
	cfg := staticCert(leaf.TLSCertificate())
	ln, err := b.listen()
	if err != nil {
		return err
	}
	b.accept(ln, func(c net.Conn) { speakSMTP(c, cfg) })
	b.Endpoint(model.EndpointConfig{Name: name, Address: "smtp://" + ln.Addr().String(), SNI: name, Group: "mail"})
	return nil
}

// speakSMTP is just enough of RFC 3207 for a STARTTLS probe.
func speakSMTP(c net.Conn, cfg *tls.Config) {
	r := bufio.NewReader(c)
	w := func(s string) bool { _, err := c.Write([]byte(s + "\r\n")); return err == nil }
	if !w("220 mail.demo.test ESMTP certdeck-demo") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			w("250-mail.demo.test")
			w("250-PIPELINING")
			w("250 STARTTLS")
		case strings.HasPrefix(cmd, "HELO"):
			w("250 mail.demo.test")
		case cmd == "STARTTLS":
			if !w("220 2.0.0 Ready to start TLS") {
				return
			}
			speakTLS(tls.Server(c, cfg))
			return
		case cmd == "QUIT":
			w("221 2.0.0 Bye")
			return
		default:
			w("502 5.5.2 command not recognized")
		}
	}
}
