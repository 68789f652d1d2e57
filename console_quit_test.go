package main

import (
	"strings"
	"testing"
)

// TestDemoQuitDuringAPublishAsksThenSaysWhatItLeft: the tester's stray q
// while P verified legacy quit at once with exit status 0, the publish
// abandoned. Now q asks (what runs, since when, what a cancel leaves);
// y cancels it, and once the terminal is restored certdeck says on
// stderr what the publish left and what to do, and exits 4 (not
// verified), as `certdeck reload` would.
func TestDemoQuitDuringAPublishAsksThenSaysWhatItLeft(t *testing.T) {
	c := startTmuxConsole(t, nil, "demo")
	// Keep the pane after certdeck exits: what it prints then is read
	// from it.
	if out, err := c.tm("set-option", "-t", "smoke", "remain-on-exit", "on"); err != nil {
		t.Fatalf("tmux set-option: %v\n%s", err, out)
	}
	c.openLegacyPublish()
	c.send("y")
	c.waitScreen("the verification running", func(s string) bool { return strings.Contains(s, "▶ publish legacy: verifying") })
	c.send("q")
	c.waitScreen("the quit question", func(s string) bool {
		return strings.Contains(s, "publish legacy is running (since ") && strings.Contains(s, "quit anyway? it is cancelled and left as v0003 current") &&
			strings.Contains(s, "Quit (y)")
	})
	c.send("y")
	c.waitExit(actionNotVerified)
	out, _ := c.tm("capture-pane", "-p", "-S", "-", "-t", "smoke")
	s := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(s, "certdeck: quit while actions ran (cancelled); what each left:") ||
		!strings.Contains(s, "publish legacy: cancelled by you: v0003 is current, 0/1 verified") || !strings.Contains(s, "b rolls back to v0002") {
		t.Fatalf("after the quit, the terminal does not say what the publish left:\n%s", out)
	}
}
