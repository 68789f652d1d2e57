package rotate

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/model"
)

// echoServer is an in-process TLS server on 127.0.0.1 that echoes lines.
func echoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				io.Copy(c, c)
			})
		}
	})
	return ln.Addr().String()
}

// dialSerial handshakes and returns the connection and the served serial.
func dialSerial(t *testing.T, addr string) (*tls.Conn, string) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{
		RootCAs: fixtures.root.Pool(), ServerName: "reload.example.test",
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, model.SerialHex(c.ConnectionState().PeerCertificates[0].SerialNumber)
}

func echo(t *testing.T, c *tls.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(c, msg+"\n"); err != nil {
		t.Fatalf("write on existing connection: %v", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != msg+"\n" {
		t.Fatalf("echo on existing connection = %q, %v", line, err)
	}
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	panic("unreachable")
}

func TestReloaderServesPublishWithoutRestartOrDroppingConnections(t *testing.T) {
	s := newTestStore(t)
	dir := s.BundleDir("reload")
	l1, l2, l3 := issue(t, "reload.example.test"), issue(t, "reload.example.test"), issue(t, "reload.example.test")
	mustPublish(t, s, "reload", inputsFor(l1))

	reloaded := make(chan string, 4)
	failed := make(chan error, 4)
	r, err := NewReloader(dir, ReloaderOptions{
		OnReload: func(v string) { reloaded <- v },
		OnError:  func(err error) { failed <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	addr := echoServer(t, &tls.Config{GetCertificate: r.GetCertificate})

	old, serial := dialSerial(t, addr)
	defer old.Close()
	if serial != model.SerialHex(l1.Cert.SerialNumber) {
		t.Fatalf("served %s before publish", serial)
	}
	echo(t, old, "before")

	mustPublish(t, s, "reload", inputsFor(l2))
	if v := waitFor(t, reloaded, "reload after publish"); v != "v0002" {
		t.Fatalf("reloaded %s, want v0002", v)
	}
	fresh, serial := dialSerial(t, addr)
	fresh.Close()
	if serial != model.SerialHex(l2.Cert.SerialNumber) {
		t.Fatalf("new handshake served %s, want the published serial", serial)
	}
	echo(t, old, "after publish") // the old connection is still up

	// An invalid version becomes current behind the store's back (key of
	// another certificate): keep serving the last good one, report why.
	bad := filepath.Join(dir, "v0003")
	os.Mkdir(bad, 0o755)
	for _, f := range []string{CertFile, ChainFile, FullchainFile, MetaFile} {
		b, _ := os.ReadFile(filepath.Join(dir, "v0002", f))
		os.WriteFile(filepath.Join(bad, f), b, 0o644)
	}
	os.WriteFile(filepath.Join(bad, KeyFile), l3.KeyPEM(), 0o600)
	if err := swapCurrent(dir, "v0003"); err != nil {
		t.Fatal(err)
	}
	err = waitFor(t, failed, "error for invalid version")
	if !strings.Contains(err.Error(), "v0003") || !strings.Contains(err.Error(), "still serving v0002") {
		t.Fatalf("error %q does not say what failed and what is served", err)
	}
	noKeyBytes(t, err.Error(), l3)
	third, serial := dialSerial(t, addr)
	third.Close()
	if serial != model.SerialHex(l2.Cert.SerialNumber) || r.Version() != "v0002" {
		t.Fatalf("after invalid version: served %s (%s)", serial, r.Version())
	}

	// Rollback is a swap too.
	if _, err := s.Rollback(t.Context(), "reload", "v0001"); err != nil {
		t.Fatal(err)
	}
	if v := waitFor(t, reloaded, "reload after rollback"); v != "v0001" {
		t.Fatalf("reloaded %s after rollback", v)
	}
	echo(t, old, "after rollback")
}

func TestReloaderGivesClientCertificateAndStopsOnClose(t *testing.T) {
	s := newTestStore(t)
	leaf := issue(t, "client.example.test")
	mustPublish(t, s, "client", inputsFor(leaf))
	r, err := NewReloader(s.BundleDir("client"), ReloaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.GetClientCertificate(nil)
	if !c.Leaf.Equal(leaf.Cert) {
		t.Fatal("client certificate is not the published leaf")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r.Close() // idempotent
	// After Close the watcher is gone: a publish is not picked up, but
	// the last certificate is still served.
	mustPublish(t, s, "client", inputsFor(issue(t, "client.example.test")))
	time.Sleep(50 * time.Millisecond)
	if r.Version() != "v0001" {
		t.Fatalf("closed reloader moved to %s", r.Version())
	}
}

func TestNewReloaderRefusesUnservableBundle(t *testing.T) {
	if _, err := NewReloader(t.TempDir(), ReloaderOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}
