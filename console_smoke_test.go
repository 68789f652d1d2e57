package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConsoleSmokeUnderTmux runs the real binary in a real terminal:
// `certdeck demo` at 100x30 must show OK, WARN and CRIT rows, `?` must
// open help, and `q` must exit with status 0.
func TestConsoleSmokeUnderTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CERTDECK_INTEGRATION") == "1" {
			t.Fatal("tmux is required when CERTDECK_INTEGRATION=1")
		}
		t.Skip("tmux not installed; set CERTDECK_INTEGRATION=1 to require it")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "certdeck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	exitFile := filepath.Join(dir, "exit")
	// A private tmux server (-S socket in the temp dir): the test never
	// touches the user's sessions, and kill-server ends only its own.
	sock := filepath.Join(dir, "tmux.sock")
	tm := func(args ...string) (string, error) {
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	script := fmt.Sprintf("env -u NO_COLOR TERM=xterm-256color %q demo; echo $? > %q", bin, exitFile)
	if out, err := tm("new-session", "-d", "-s", "smoke", "-x", "100", "-y", "30", script); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = tm("kill-server") })

	capture := func() string {
		out, _ := tm("capture-pane", "-p", "-t", "smoke")
		return out
	}
	waitScreen := func(what string, ok func(string) bool) string {
		t.Helper()
		var s string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if s = capture(); ok(s) {
				return s
			}
		}
		t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
		return ""
	}
	rows := func(s, word string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), word) || strings.Contains(l, " "+word+" ") && strings.Contains(l, "demo.test") {
				return true
			}
		}
		return false
	}
	waitScreen("OK, WARN and CRIT rows", func(s string) bool {
		return rows(s, "✓ OK") && rows(s, "▲ WARN") && rows(s, "✗ CRIT")
	})
	if _, err := tm("send-keys", "-t", "smoke", "?"); err != nil {
		t.Fatal(err)
	}
	waitScreen("help", func(s string) bool { return strings.Contains(s, "re-probe all") })
	if _, err := tm("send-keys", "-t", "smoke", "q"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(exitFile); err == nil && len(b) > 0 {
			if code := strings.TrimSpace(string(b)); code != "0" {
				t.Fatalf("certdeck demo exited with %s, want 0", code)
			}
			return
		}
	}
	t.Fatalf("certdeck did not exit after q; screen:\n%s", capture())
}
