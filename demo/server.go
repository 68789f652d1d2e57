package demo

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"time"
)

// connDeadline bounds every demo connection: a probe that hangs must not
// pin a goroutine forever.
const connDeadline = 10 * time.Second

// listen opens a loopback listener on a random port, closed at cleanup.
func (b *Builder) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo listen: %w", err)
	}
	b.onClose(func() { ln.Close() })
	return ln, nil
}

// accept runs handle for each connection until the listener closes.
func (b *Builder) accept(ln net.Listener, handle func(net.Conn)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(connDeadline))
				// Close promptly at shutdown even mid-read.
				stop := make(chan struct{})
				defer close(stop)
				go func() {
					select {
					case <-b.ctx.Done():
						c.Close()
					case <-stop:
					}
				}()
				handle(c)
			}()
		}
	}()
}

// serveTLS starts a TLS server with cfg and returns its address.
func (b *Builder) serveTLS(cfg *tls.Config) (string, error) {
	ln, err := b.listen()
	if err != nil {
		return "", err
	}
	b.accept(ln, func(c net.Conn) { speakTLS(tls.Server(c, cfg)) })
	return ln.Addr().String(), nil
}

// speakTLS completes the handshake and then reads until the client
// leaves: TLS 1.3 session tickets are written after the handshake, and
// the client sees them only while the connection stays open.
func speakTLS(tc *tls.Conn) {
	if err := tc.Handshake(); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, tc)
}

// staticCert is a tls.Config serving one certificate.
func staticCert(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}
