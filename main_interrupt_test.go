package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/demo/pki"

	"golang.org/x/sys/unix"
)

// A deploy hook stuck behind another writer's lock must end on ^C or
// SIGTERM with a reason, not sit out the 30 s lock wait (or forever, as a
// process ignoring signals would).
func TestRotateWaitingForTheLockEndsAtInterrupt(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	root := pki.Must(pki.NewCA("interrupt root"))
	leaf := pki.Must(root.Issue(pki.Options{DNSNames: []string{"i.example.test"}}))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	full := writeFile(t, filepath.Join(dir, "full.pem"), leaf.FullchainPEM())
	key := writeFile(t, filepath.Join(dir, "key.pem"), leaf.KeyPEM())
	args := []string{"rotate", "web", "--store", store, "--fullchain", full, "--key", key, "--ca", ca}
	env := append(os.Environ(), "XDG_STATE_HOME="+dir)
	first := exec.Command(bin, args...)
	first.Env = env
	if out, err := first.CombinedOutput(); err != nil {
		t.Fatalf("first publish: %v\n%s", err, out)
	}

	// Another writer holds the bundle's lock.
	lock, err := os.OpenFile(filepath.Join(store, "web", ".lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, args...)
			cmd.Env = env
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			time.Sleep(500 * time.Millisecond) // well inside the lock wait
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("rotate still waiting 10 s after %s:\n%s", sig, out.String())
			}
			if err == nil || cmd.ProcessState.ExitCode() <= 0 {
				t.Fatalf("rotate after %s: %v (exit %d), want a failure exit:\n%s", sig, err, cmd.ProcessState.ExitCode(), out.String())
			}
			if !strings.Contains(out.String(), "context canceled") {
				t.Errorf("rotate after %s does not say why it stopped:\n%s", sig, out.String())
			}
		})
	}
}
