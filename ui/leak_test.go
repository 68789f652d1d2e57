package ui

import (
	"context"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// Quitting the console stops everything it started: the probe scheduler,
// its workers, the first round, the bundle watcher and the relay leave no
// goroutine and no open file behind.
func TestConsoleQuitLeavesNoGoroutineOrFile(t *testing.T) {
	ca := pki.Must(pki.NewCA("Leak Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	srv := probetest.StartTLSServer(t, probetest.Config(leaf.TLSCertificate()))
	caFile := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &model.Config{Defaults: model.DefaultsConfig{Concurrency: 4}}
	for _, name := range []string{"a", "b", "c"} {
		cfg.Endpoints = append(cfg.Endpoints, model.EndpointConfig{Name: name, Address: srv.Addr, SNI: "svc.test", CA: caFile})
	}
	cfg.Endpoints = append(cfg.Endpoints, model.EndpointConfig{Name: "down", Address: probetest.RefusedAddr(t)})
	cfg.Bundles = []model.BundleConfig{{Name: "disk", Path: t.TempDir()}}
	fleet, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	fleet.Interval = 200 * time.Millisecond // a few periodic probes before quitting
	theme, _ := themes.Builtin(themes.Mono)

	// The runtime's signal loop starts with the first signal.Notify (the
	// program's) and lives for the process: start it before counting.
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGWINCH)
	signal.Stop(c)
	goroutines, files := runtime.NumGoroutine(), countFiles(t)
	keys, typed := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), fleet, Options{Theme: theme, ThemeDecided: true},
			tea.WithInput(keys), tea.WithOutput(io.Discard), tea.WithWindowSize(120, 40))
	}()
	time.Sleep(time.Second)
	if _, err := typed.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the console did not quit on q")
	}
	typed.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines || countFiles(t) > files {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("after quitting: %d goroutines (before: %d), %d open files (before: %d):\n%s",
				runtime.NumGoroutine(), goroutines, countFiles(t), files, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files here (%v): this check needs /proc", err)
	}
	return len(fds)
}
