package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestConsoleSmokeUnderTmux runs the real binary in a real terminal:
// `certdeck demo` at 100x30 must show OK, WARN and CRIT rows, `?` must
// open help, and `q` must exit with status 0.
func TestConsoleSmokeUnderTmux(t *testing.T) {
	c := startTmuxConsole(t, nil, "demo")
	rows := func(s, word string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), word) || strings.Contains(l, " "+word+" ") && strings.Contains(l, "demo.test") {
				return true
			}
		}
		return false
	}
	c.waitScreen("OK, WARN and CRIT rows", func(s string) bool {
		return rows(s, "✓ OK") && rows(s, "▲ WARN") && rows(s, "✗ CRIT")
	})
	c.send("?")
	c.waitScreen("help", func(s string) bool { return strings.Contains(s, "re-probe all") })
	c.send("q")
	c.waitExit(0)
}

// TestConsoleKeysUnderTmux drives the real binary the way an operator
// does: footers fit 100 columns with quit in them, and two escs sent in
// one write (tmux forwards a quick double press so) each back out once:
// the detail pane closes and the filter clears.
func TestConsoleKeysUnderTmux(t *testing.T) {
	c := startTmuxConsole(t, nil, "demo")
	c.waitScreen("the fleet", func(s string) bool { return strings.Contains(s, "demo.test") })
	footer := func(s string) string {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		return lines[len(lines)-1]
	}
	if f := footer(c.capture()); !strings.Contains(f, "q quit") || strings.Contains(f, "…") {
		t.Fatalf("footer at 100 columns: %q", f)
	}
	c.send("/")
	c.send("-l", "web")
	c.send("Enter")
	c.send("Enter")
	detailOpen := func(s string) bool { return strings.Contains(s, " address     ") }
	c.waitScreen("the filtered table with the detail pane", func(s string) bool {
		return strings.Contains(s, "filter: web") && detailOpen(s)
	})
	c.send("Escape", "Escape")
	c.waitScreen("the pane closed and the filter cleared", func(s string) bool {
		return !strings.Contains(s, "filter: web") && !detailOpen(s) && strings.Contains(s, "demo.test")
	})
	c.send("q")
	c.waitExit(0)
}

// TestConsoleMarksAndCommandLineUnderTmux: in the real binary, space
// marks rows (the header counts them), a `:` command typed in the
// terminal filters, and :q exits with status 0.
func TestConsoleMarksAndCommandLineUnderTmux(t *testing.T) {
	c := startTmuxConsole(t, nil, "demo")
	c.waitScreen("the fleet", func(s string) bool { return strings.Contains(s, "demo.test") })
	c.send("Space")
	c.send("Space")
	c.waitScreen("two marked rows", func(s string) bool { return strings.Contains(s, "● 2 marked") })
	c.send(":")
	c.send("-l", "filter web")
	c.waitScreen("the command line", func(s string) bool { return strings.Contains(s, ":filter web█") })
	c.send("Enter")
	c.waitScreen("the filter from the command line", func(s string) bool { return strings.Contains(s, "filter: web") })
	c.send(":")
	c.send("q")
	c.send("Enter")
	c.waitExit(0)
}

// TestDemoFixTurnsTheDriftingEndpointOK: in the demo, web2 was not
// reloaded after web's renewal, so the web bundle drifts (WARN). x on
// web2 shows the reload's exact request, y runs it, the header and row
// show the verification, and the bundle turns OK; nothing is written to
// the user's state dir.
func TestDemoFixTurnsTheDriftingEndpointOK(t *testing.T) {
	home := t.TempDir()
	state := filepath.Join(home, "state")
	c := startTmuxConsole(t, []string{"HOME=" + home, "XDG_STATE_HOME=" + state}, "demo")
	webRow := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			if f := strings.Fields(l); len(f) > 2 && f[2] == "web" {
				return l
			}
		}
		return ""
	}
	c.waitScreen("the console", func(s string) bool { return strings.Contains(s, "Bundles") })
	c.send("Tab")
	c.waitScreen("the web bundle drifting", func(s string) bool {
		return strings.Contains(webRow(s), "▲ WARN") && strings.Contains(webRow(s), "1/2 in sync")
	})
	// Back to the Fleet tab (the demo also has a Ticket keys tab).
	c.send("Tab")
	c.waitScreen("the Ticket keys tab", func(s string) bool { return strings.Contains(s, "[Ticket keys") })
	c.send("Tab")
	c.waitScreen("the Fleet tab", func(s string) bool { return strings.Contains(s, "[Fleet") })
	c.send("/")
	c.send("-l", "web2")
	c.send("Enter")
	// The filter is applied off the keystroke path: x must wait for the
	// rows it leaves, or it acts on the row under the cursor before.
	c.waitScreen("the filter applied, web2 first", func(s string) bool {
		rows := strings.SplitN(s, "STATUS", 2)
		return strings.Contains(s, "filter: web2 (") && len(rows) == 2 &&
			strings.Contains(strings.SplitN(rows[1], "\n", 3)[1], "web2.demo.test")
	})
	// The cursor rides the worst row: under heavy load a probe of web1
	// can time out just before x arrives and put web1 (ERROR) on top.
	// The dialog says which endpoint it acts on; an operator who sees
	// another one cancels and presses x again, and so does this test.
	for attempt := 1; ; attempt++ {
		c.send("x")
		s := c.waitScreen("the fix dialog", func(s string) bool {
			return strings.Contains(s, "(y/N)") && strings.Contains(s, "POST http://127.0.0.1:")
		})
		if strings.Contains(s, "serial    web2.demo.test:") {
			break
		}
		if attempt == 3 {
			t.Fatalf("three x presses opened no dialog for web2:\n%s", s)
		}
		c.send("Escape")
		c.waitScreen("the dialog cancelled", func(s string) bool { return !strings.Contains(s, "(y/N)") })
	}
	c.send("y")
	c.waitScreen("the reload verified", func(s string) bool { return strings.Contains(s, "verified: 1/1 endpoint serves") })
	c.send("Tab")
	c.waitScreen("the web bundle OK", func(s string) bool {
		return strings.Contains(webRow(s), "✓ OK") && strings.Contains(webRow(s), "2/2 in sync")
	})
	c.send("q")
	c.waitExit(0)
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatalf("the demo's reload wrote to the user's state dir %s (%v)", state, err)
	}
}

// TestDemoPublishReloadThatDoesNotTakeEffectRollsBack: the demo's legacy
// server reads another file than the store, so P on legacy publishes,
// the reload "succeeds", verification finds the old serial, and the
// automatic rollback restores it and verifies it: the flash says ROLLED
// BACK, the event log shows both legs, the row is back in sync.
func TestDemoPublishReloadThatDoesNotTakeEffectRollsBack(t *testing.T) {
	c := startTmuxConsole(t, nil, "demo")
	c.openLegacyPublish()
	c.waitScreen("the rollback in the dialog", func(s string) bool {
		return strings.Contains(s, "if verification fails: roll legacy back to v0002")
	})
	c.send("y")
	c.waitScreen("the verification running", func(s string) bool { return strings.Contains(s, "▶ publish legacy") })
	c.waitScreen("the rollback reported", func(s string) bool { return strings.Contains(s, "publish legacy: ROLLED BACK") })
	c.send("l")
	// Long events wrap in the log, so either leg may sit above the pane:
	// k steps back one event at a time until both have been on screen.
	seen := ""
	c.waitScreen("both legs in the event log", func(s string) bool {
		seen += s
		if strings.Contains(seen, "rolled back legacy: v0002") && strings.Contains(seen, "automatic rollback (on_verify_fail: rollback)") {
			return true
		}
		c.send("k")
		return false
	})
	c.send("q")
	c.waitExit(0)
}

// TestDemoPublishStaysInItsSandbox publishes a bundle from the demo console
// the way a person would (Bundles tab, filter to `app`, p, y) and checks
// the demo wrote nothing to the user's state dir: the audit line of a
// rehearsal must not land in the real audit log.
func TestDemoPublishStaysInItsSandbox(t *testing.T) {
	home := t.TempDir()
	state := filepath.Join(home, "state")
	c := startTmuxConsole(t, []string{"HOME=" + home, "XDG_STATE_HOME=" + state}, "demo")
	c.waitScreen("the console", func(s string) bool { return strings.Contains(s, "Bundles") })
	c.send("Tab")
	c.send("/")
	c.send("-l", "app")
	c.send("Enter")
	c.waitScreen("the app bundle alone", func(s string) bool {
		return strings.Contains(s, "filter: app") && regexp.MustCompile(`app +store`).MatchString(s)
	})
	c.send("p")
	c.waitScreen("the publish dialog", func(s string) bool { return strings.Contains(s, "(y/N)") })
	c.send("y")
	c.waitScreen("the publish confirmed", func(s string) bool { return strings.Contains(s, "published app") })
	c.send("q")
	c.waitExit(0)
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(filepath.Join(state, "certdeck"))
		t.Fatalf("the demo wrote to the user's state dir %s (%v): %v", state, err, entries)
	}
}

// tmuxConsole is the real binary running in a private tmux server.
type tmuxConsole struct {
	t        *testing.T
	tm       func(args ...string) (string, error)
	exitFile string
}

// startTmuxConsole builds the binary and runs it with args at 100x30 in a
// private tmux server (-S socket in a temp dir): the test never touches the
// user's sessions, and kill-server ends only its own. env is added to the
// command's environment.
func startTmuxConsole(t *testing.T, env []string, args ...string) *tmuxConsole {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CERTDECK_INTEGRATION") == "1" {
			t.Fatal("tmux is required when CERTDECK_INTEGRATION=1")
		}
		t.Skip("tmux not installed; set CERTDECK_INTEGRATION=1 to require it")
	}
	dir := t.TempDir()
	bin := builtBinary(t)
	sock := filepath.Join(dir, "tmux.sock")
	c := &tmuxConsole{t: t, exitFile: filepath.Join(dir, "exit")}
	c.tm = func(args ...string) (string, error) {
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	cmdline := "env -u NO_COLOR TERM=xterm-256color"
	for _, w := range append(append(env, bin), args...) {
		cmdline += fmt.Sprintf(" %q", w)
	}
	script := fmt.Sprintf("%s; echo $? > %q", cmdline, c.exitFile)
	if out, err := c.tm("new-session", "-d", "-s", "smoke", "-x", "100", "-y", "30", script); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = c.tm("kill-server") })
	return c
}

// openLegacyPublish shows the demo's legacy bundle on the Bundles tab and
// opens P's publish + reload dialog on it.
func (c *tmuxConsole) openLegacyPublish() {
	c.t.Helper()
	c.waitScreen("the console", func(s string) bool { return strings.Contains(s, "Bundles") })
	c.send("Tab")
	c.send("/")
	c.send("-l", "legacy")
	c.send("Enter")
	c.waitScreen("the legacy bundle", func(s string) bool {
		return strings.Contains(s, "filter: legacy") && strings.Contains(s, "1/1 in sync")
	})
	c.send("P")
	c.waitScreen("the publish + reload dialog", func(s string) bool { return strings.Contains(s, "Publish + reload (y)") })
}

func (c *tmuxConsole) capture() string {
	out, _ := c.tm("capture-pane", "-p", "-t", "smoke")
	return out
}

// send types keys (tmux key names, or literal text after "-l").
func (c *tmuxConsole) send(keys ...string) {
	c.t.Helper()
	if out, err := c.tm(append([]string{"send-keys", "-t", "smoke"}, keys...)...); err != nil {
		c.t.Fatalf("send-keys %v: %v\n%s", keys, err, out)
	}
}

func (c *tmuxConsole) waitScreen(what string, ok func(string) bool) string {
	c.t.Helper()
	var s string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if s = c.capture(); ok(s) {
			return s
		}
	}
	c.t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
	return ""
}

func (c *tmuxConsole) waitExit(want int) {
	c.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(c.exitFile); err == nil && len(b) > 0 {
			if code := strings.TrimSpace(string(b)); code != fmt.Sprint(want) {
				c.t.Fatalf("certdeck exited with %s, want %d; screen:\n%s", code, want, c.capture())
			}
			return
		}
	}
	c.t.Fatalf("certdeck did not exit; screen:\n%s", c.capture())
}
