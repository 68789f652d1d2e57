package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The demo's temp dir holds its CA and private keys: it must be removed
// however the demo ends. Closing the terminal (tmux kill-session: SIGHUP)
// and SIGTERM (a service manager, `kill`) are checked on the real binary
// in a real terminal (SIGINT too: `kill -INT`, not ctrl+c, which the
// console reads as a key), with TMPDIR pointed at a directory of the test's own.
func TestDemoRemovesItsTempDirOnHangupAndTerm(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(c *tmuxConsole)
	}{
		{"tmux kill-session (SIGHUP)", func(c *tmuxConsole) {
			if out, err := c.tm("kill-session", "-t", "smoke"); err != nil {
				c.t.Fatalf("kill-session: %v\n%s", err, out)
			}
		}},
		{"SIGTERM", func(c *tmuxConsole) {
			if err := syscall.Kill(c.consolePID(), syscall.SIGTERM); err != nil {
				c.t.Fatal(err)
			}
		}},
		{"SIGHUP", func(c *tmuxConsole) {
			if err := syscall.Kill(c.consolePID(), syscall.SIGHUP); err != nil {
				c.t.Fatal(err)
			}
		}},
		{"SIGINT", func(c *tmuxConsole) {
			if err := syscall.Kill(c.consolePID(), syscall.SIGINT); err != nil {
				c.t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			c := startTmuxConsole(t, []string{"TMPDIR=" + tmp}, "demo")
			c.waitScreen("the demo console", func(s string) bool { return strings.Contains(s, "Bundles") })
			left := func() []string {
				m, _ := filepath.Glob(filepath.Join(tmp, "certdeck-demo-*"))
				return m
			}
			if len(left()) == 0 {
				t.Fatalf("the demo made no temp dir under TMPDIR=%s", tmp)
			}
			tc.end(c)
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if len(left()) == 0 {
					return
				}
			}
			t.Fatalf("after %s the demo left %v behind", tc.name, left())
		})
	}
}

// consolePID is the certdeck process in the pane: the pane runs a shell
// that runs `env … certdeck demo` (env execs certdeck).
func (c *tmuxConsole) consolePID() int {
	c.t.Helper()
	out, err := c.tm("list-panes", "-t", "smoke", "-F", "#{pane_pid}")
	if err != nil {
		c.t.Fatalf("list-panes: %v\n%s", err, out)
	}
	shell := strings.TrimSpace(out)
	kids, err := os.ReadFile(filepath.Join("/proc", shell, "task", shell, "children"))
	if err != nil {
		c.t.Fatalf("children of pane process %s: %v", shell, err)
	}
	fields := strings.Fields(string(kids))
	if len(fields) == 0 {
		c.t.Fatalf("pane process %s has no child", shell)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		c.t.Fatal(err)
	}
	return pid
}
