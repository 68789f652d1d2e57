// Package probetest runs the servers that probe tests talk to: in-process
// Go TLS servers, hostile servers (silent, plain text, alerts, resets),
// fake STARTTLS servers per protocol, and a real nginx under a temp prefix.
// Every server listens on 127.0.0.1 (or ::1, see ServeAt) only and is
// stopped by t.Cleanup, so a test cannot leave a listener or goroutine
// behind.
//
// It is imported by tests only (probe, and later the console and bundle
// tests); production code never imports it.
package probetest

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/demo/netfault"
)

// connLimit bounds how long a test server keeps one connection: a client
// that never closes must not hold the test open.
const connLimit = 10 * time.Second

// Server is a listener on 127.0.0.1 whose connections are handled by one
// function each. Close (also run by t.Cleanup) stops accepting, closes
// every open connection and waits for every handler to return.
type Server struct {
	// Addr is host:port, always 127.0.0.1.
	Addr string
	// Port is the port alone, for building URLs such as smtp://host:PORT.
	Port string

	ln       net.Listener
	handle   func(net.Conn)
	accepted atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Serve starts a server on 127.0.0.1:0 that runs handle for each
// connection. handle owns the connection but need not close it.
func Serve(t testing.TB, handle func(net.Conn)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return serveOn(t, ln, handle)
}

// ServeAt is Serve on a given loopback address (127.0.0.1:PORT or
// [::1]:PORT: two servers on one port, one per address family, stand for
// the two nodes of a name that resolves to both). ok is false when the
// address cannot be listened on (the port is taken, or there is no IPv6).
func ServeAt(t testing.TB, addr string, handle func(net.Conn)) (s *Server, ok bool) {
	t.Helper()
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		t.Fatalf("ServeAt %s: only loopback addresses", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, false
	}
	return serveOn(t, ln, handle), true
}

func serveOn(t testing.TB, ln net.Listener, handle func(net.Conn)) *Server {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := &Server{Addr: ln.Addr().String(), Port: port, ln: ln, handle: handle, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.Close)
	return s
}

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			_ = c.SetDeadline(time.Now().Add(connLimit))
			s.handle(c)
		}()
	}
}

// Close stops the server and waits for its goroutines. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// StartTLSServer serves TLS with cfg on 127.0.0.1: each connection
// completes a handshake, then the server reads until the client closes
// (so session tickets are delivered and nothing is reset).
func StartTLSServer(t testing.TB, cfg *tls.Config) *Server {
	t.Helper()
	return Serve(t, func(c net.Conn) { ServeTLS(c, cfg) })
}

// ServeTLS runs a TLS server handshake on c and drains it until the client
// closes. Fake STARTTLS servers call it after their plain-text dialogue.
func ServeTLS(c net.Conn, cfg *tls.Config) {
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, tc)
	_ = tc.Close()
}

// Config is a server tls.Config that serves cert; tickets are on (Go's
// default) so resumption can be checked.
func Config(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

// Silent accepts connections and never sends a byte: the probe must give
// up at its deadline.
func Silent(t testing.TB) *Server {
	t.Helper()
	return Serve(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
}

// PlainText answers every connection with banner and closes, like an SSH
// or HTTP server on a port the probe expects TLS on.
func PlainText(t testing.TB, banner string) *Server {
	t.Helper()
	return Serve(t, func(c net.Conn) {
		_, _ = io.WriteString(c, banner)
		drainBriefly(c)
	})
}

// Alert reads the ClientHello and answers with a fatal TLS alert with the
// given description (40 = handshake_failure, 112 = unrecognized_name).
func Alert(t testing.TB, description byte) *Server {
	t.Helper()
	return Serve(t, func(c net.Conn) {
		if !readClientHello(c) {
			return
		}
		// Record: type alert(21), version TLS 1.2, length 2, level fatal(2).
		_, _ = c.Write([]byte{21, 3, 3, 0, 2, 2, description})
		drainBriefly(c)
	})
}

// ResetMidHandshake reads the start of the ClientHello and resets the
// connection (RST, not FIN), like a middlebox killing the session.
func ResetMidHandshake(t testing.TB) *Server {
	t.Helper()
	return Serve(t, func(c net.Conn) {
		readClientHello(c)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close sends RST
		}
	})
}

// RefusedAddr returns a 127.0.0.1 address where connecting is refused for
// the rest of the test: the port stays reserved, so no other test's server
// can be handed it.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	addr, release, err := netfault.Refused()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return addr
}

// readClientHello waits for the first bytes of a TLS record.
func readClientHello(c net.Conn) bool {
	buf := make([]byte, 5)
	_, err := io.ReadFull(c, buf)
	return err == nil
}

// drainBriefly gives the client time to read what was sent before the
// connection closes, so it sees the data rather than a reset.
func drainBriefly(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = io.Copy(io.Discard, c)
}
