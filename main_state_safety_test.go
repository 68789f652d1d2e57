package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The ticket history decides how old a ticket key looks: in a state dir
// others may write (root run with another user's HOME) it is neither read
// nor written, and check says why once.
func TestCheckKeepsNoTicketHistoryInAStateDirOthersCouldWrite(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	dir := filepath.Join(state, "certdeck")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	t.Setenv("XDG_STATE_HOME", state)
	_, stderr, _ := runMain(t, "check", "127.0.0.1:1", "--timeout", "1s")
	if !strings.Contains(stderr, "ticket key ages are not kept across runs: state directory "+dir) || !strings.Contains(stderr, "chmod go-w "+dir) {
		t.Fatalf("stderr %q: want the note naming the unsafe state dir and its fix", stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("certdeck wrote %d files into a state dir others may write", len(entries))
	}
}
