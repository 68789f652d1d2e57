package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The tests that run the real binary (tmux smoke tests, signals) share one
// build per test process: `go build` costs seconds, and every caller wants
// the same binary.
var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryOut  []byte
)

// builtBinary builds certdeck once into a temp dir that TestMain removes
// when the test process ends.
func builtBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "certdeck-test-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "certdeck")
		binaryOut, binaryErr = exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
	})
	if binaryErr != nil {
		t.Fatalf("build: %v\n%s", binaryErr, binaryOut)
	}
	return binaryPath
}

// TestMain also points $XDG_STATE_HOME at a temp dir for the whole test
// process (and the binaries it starts): tests run `check`, `rotate` and the
// console, which append to the audit log and the ticket-key history, and
// none of that may land in the state dir of whoever runs the tests.
func TestMain(m *testing.M) {
	state, err := os.MkdirTemp("", "certdeck-test-state-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", state)
	code := m.Run()
	os.RemoveAll(state)
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}
