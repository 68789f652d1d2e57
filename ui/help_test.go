package ui

import (
	"regexp"
	"strings"
	"testing"
)

// spaces are runs of blanks: help columns are padded to their widest key.
var spaces = regexp.MustCompile(` +`)

// TestHelpPutsTheTabsActionsFirstOnASmallScreen: at 60x15 the ? screen of
// the Bundles tab shows the tab's own action keys before navigation, and
// says there is more below.
func TestHelpPutsTheTabsActionsFirstOnASmallScreen(t *testing.T) {
	m := newBundleModel(t, 60, 15, false)
	press(m, "?")
	s := screen(m)
	words := spaces.ReplaceAllString(s, " ")
	for _, want := range []string{"x fix: reload + verify", "P publish + reload", "p publish", "b roll back",
		"r re-read + re-probe", "c copy serial", "space mark", "s sort"} {
		if !strings.Contains(words, want) {
			t.Errorf("? at 60x15 on the Bundles tab does not show %q:\n%s", want, s)
		}
	}
	if !regexp.MustCompile(`more ↓ \(\d+ of \d+\)`).MatchString(s) {
		t.Errorf("? at 60x15 has more than fits but no \"more ↓ (n of m)\" line:\n%s", s)
	}
	if n := strings.Count(s, "\n") + 1; n != 15 {
		t.Errorf("screen has %d lines, want exactly 15", n)
	}
}

// TestHelpScrollsToEveryLine: j, ctrl+d and G scroll the ? screen, k, ctrl+u
// and g back; every key and every `:` command is reachable at 60x15 and at
// 80x24, and the marker says where the page is.
func TestHelpScrollsToEveryLine(t *testing.T) {
	for _, size := range []struct{ w, h int }{{60, 15}, {80, 24}} {
		m := newBundleModel(t, size.w, size.h, false)
		press(m, "?")
		first := screen(m)
		seen := spaces.ReplaceAllString(first, " ")
		for range 40 {
			press(m, "j")
			seen += spaces.ReplaceAllString(screen(m), " ")
		}
		for _, want := range []string{":reload NAME…", ":publish BUNDLE", ":rollback BUNDLE [VERSION]", ":cancel [SUBJECT]",
			":theme NAME", "q quit", "G bottom"} {
			if !strings.Contains(seen, want) {
				t.Errorf("%dx%d: scrolling the ? screen with j never shows %q", size.w, size.h, want)
			}
		}
		if !strings.Contains(screen(m), "more ↑ (") {
			t.Errorf("%dx%d: at the end of the ? screen the marker does not say more is above:\n%s", size.w, size.h, screen(m))
		}
		press(m, "g")
		if screen(m) != first {
			t.Errorf("%dx%d: g does not go back to the top of the ? screen:\n%s", size.w, size.h, screen(m))
		}
		press(m, "ctrl+d")
		if screen(m) == first || !strings.Contains(screen(m), "more ↕ (") && !strings.Contains(screen(m), "more ↑ (") {
			t.Errorf("%dx%d: ctrl+d does not scroll the ? screen:\n%s", size.w, size.h, screen(m))
		}
		press(m, "ctrl+u")
		if screen(m) != first {
			t.Errorf("%dx%d: ctrl+u does not scroll back:\n%s", size.w, size.h, screen(m))
		}
		press(m, "G")
		if !strings.Contains(screen(m), ":theme NAME") {
			t.Errorf("%dx%d: G does not show the end of the ? screen:\n%s", size.w, size.h, screen(m))
		}
		press(m, "esc")
		if strings.Contains(screen(m), "Keys · ") {
			t.Errorf("%dx%d: esc does not close the ? screen", size.w, size.h)
		}
		press(m, "?")
		if screen(m) != first {
			t.Errorf("%dx%d: ? opens help scrolled where it was left:\n%s", size.w, size.h, screen(m))
		}
	}
}
