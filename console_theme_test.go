package main

import (
	"regexp"
	"strings"
	"testing"
)

// colourSGR matches an SGR sequence that sets a foreground or background
// colour (palette or RGB); bold, faint and reverse alone do not match.
var colourSGR = regexp.MustCompile(`\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|4[0-7]|10[0-7]|[34]8;[25];[0-9;]+)m`)

// captureEscapes is the screen with its escape sequences (capture-pane -e).
func (c *tmuxConsole) captureEscapes() string {
	out, _ := c.tm("capture-pane", "-p", "-e", "-t", "smoke")
	return out
}

// TestThemeFlagAndCommandBeatNoColor: README's precedence is the flag,
// then NO_COLOR, then the config. NO_COLOR alone renders without colour;
// --theme dark under NO_COLOR is coloured, and so is :theme dark typed
// into a console that NO_COLOR started in mono.
func TestThemeFlagAndCommandBeatNoColor(t *testing.T) {
	coloured := func(c *tmuxConsole) bool { return colourSGR.MatchString(c.captureEscapes()) }
	fleetShown := func(s string) bool { return strings.Contains(s, "demo.test") && strings.Contains(s, "CRIT") }

	t.Run("NO_COLOR alone is mono, :theme dark colours", func(t *testing.T) {
		c := startTmuxConsole(t, []string{"NO_COLOR=1"}, "demo")
		c.waitScreen("the fleet", fleetShown)
		if coloured(c) {
			t.Fatalf("NO_COLOR=1 with no --theme: the screen carries colours:\n%q", c.captureEscapes())
		}
		c.send(":")
		c.send("-l", "theme dark")
		c.send("Enter")
		c.waitScreen("the theme flash", func(s string) bool { return strings.Contains(s, "theme dark") })
		c.waitScreen("colours after :theme dark", func(string) bool { return coloured(c) })
		c.send("q")
		c.waitExit(0)
	})
	t.Run("--theme dark beats NO_COLOR", func(t *testing.T) {
		c := startTmuxConsole(t, []string{"NO_COLOR=1"}, "demo", "--theme", "dark")
		c.waitScreen("the fleet", fleetShown)
		c.waitScreen("colours with --theme dark", func(string) bool { return coloured(c) })
		c.send("q")
		c.waitExit(0)
	})
}
