package main

import (
	"strings"
	"testing"
)

// TestDemoTicketKeysTabUnderTmux: the demo's Ticket keys tab in the real
// binary: the pool's dir with its encrypting key, 2/3 members in sync
// (pool-3 is on another copy of the keys), and t opens the rotation's
// "(y/N)" dialog with the engine's plan; any key but y cancels it.
func TestDemoTicketKeysTabUnderTmux(t *testing.T) {
	c := startTmuxConsole(t, nil, "demo")
	c.waitScreen("the console", func(s string) bool { return strings.Contains(s, "Ticket keys") })
	c.send("Tab")
	c.send("Tab")
	c.waitScreen("the Ticket keys tab", func(s string) bool {
		return strings.Contains(s, "[Ticket keys") && strings.Contains(s, "pool-tickets") && strings.Contains(s, "2/3 in sync")
	})
	c.send("t")
	c.waitScreen("the rotation dialog", func(s string) bool {
		return strings.Contains(s, "(y/N)") && strings.Contains(s, "ticket-rotate pool-tickets") && strings.Contains(s, "phase 2: previous.key ← current.key")
	})
	c.send("n")
	c.waitScreen("the dialog cancelled", func(s string) bool { return !strings.Contains(s, "(y/N)") && strings.Contains(s, "2/3 in sync") })
	c.send("q")
	c.waitExit(0)
}
