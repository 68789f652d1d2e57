package probe

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"certdeck/probe/probetest"
)

// settle waits until the goroutine count and the open files are back to
// what they were (server goroutines and sockets close a moment after the
// client's), and fails with what is left otherwise.
func settle(t *testing.T, goroutines, files int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines || openFiles(t) > files {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines (before: %d), %d open files (before: %d):\n%s",
				runtime.NumGoroutine(), goroutines, openFiles(t), files, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files here (%v): this check needs /proc", err)
	}
	return len(fds)
}

// A hundred rounds over every kind of endpoint (verified, named tickets,
// refused, reset, alert, not TLS, an all_ips name; with and without the
// resumption check; under rate and per-IP limits) leave no goroutine and no
// file descriptor behind.
func TestHundredRoundsLeakNoGoroutineAndNoFile(t *testing.T) {
	fx := newFixture(t)
	good := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	named := probetest.StartTLSServer(t, keyNamedConfig(fx.leaf.TLSCertificate(), []byte("0123456789abcdef")))
	_, port := hostPort(t, good.Addr)
	lb := endpoint(t, "lb", "lb.test:"+port, "svc.test", fx.caFile)
	lb.AllIPs = true
	f := testFleet(time.Hour, 4,
		endpoint(t, "good", good.Addr, "svc.test", fx.caFile),
		endpoint(t, "named", named.Addr, "svc.test", fx.caFile),
		endpoint(t, "refused", probetest.RefusedAddr(t), "svc.test", ""),
		endpoint(t, "reset", probetest.ResetMidHandshake(t).Addr, "svc.test", ""),
		endpoint(t, "alert", probetest.Alert(t, 40).Addr, "svc.test", ""),
		endpoint(t, "plain", probetest.PlainText(t, "SSH-2.0-OpenSSH_9.2\r\n").Addr, "svc.test", ""),
		endpoint(t, "nxdomain", "nowhere.test:443", "", ""),
		lb)
	f.RateLimit, f.PerIPConcurrency = 2000, 3
	round := func(i int) {
		opt := probeOpts()
		opt.NoResume = i%2 == 1
		opt.Resolver = fixedResolver{"lb.test": {netip.MustParseAddr("127.0.0.1")}}
		for _, o := range Round(context.Background(), f, RoundOptions{Probe: opt}) {
			if o.Endpoint == "good" && o.Failed() {
				t.Fatalf("round %d: good failed: %s", i, o.Error)
			}
		}
	}
	round(0) // first use starts what lives for the process (the poller, resolver state)
	goroutines, files := runtime.NumGoroutine(), openFiles(t)
	for i := range 100 {
		round(i)
	}
	t.Logf("after: %d goroutines (%d), %d files (%d)", runtime.NumGoroutine(), goroutines, openFiles(t), files)
	settle(t, goroutines, files)
}
