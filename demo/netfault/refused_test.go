package netfault

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestRefusedStaysRefusedUntilReleased(t *testing.T) {
	addr, release, err := Refused()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %s: %v, want connection refused", addr, err)
		}
	}
	// The port is held: a server cannot take it (as one taking a port that
	// was merely free would, and then answer the "refused" endpoint).
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Fatalf("listen on %s succeeded while it is reserved", addr)
	}
	release()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s after release: %v", addr, err)
	}
	ln.Close()
}
