package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/probe"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// A console whose config cannot be trusted with actions (another user
// could have written its reloads) opens to look but acts on nothing: x
// is refused with the reason, which the event log holds from the start,
// and no reload runs.
func TestReadOnlyReasonRefusesActionsAndSaysWhy(t *testing.T) {
	fx := newFixFixture(t, false)
	theme, _ := themes.Builtin(themes.ANSI)
	why := "refusing to run the reloads it defines: config /etc/certdeck/fleet.yaml is writable by group (mode 0664)"
	m := New(Options{Fleet: fx.fleet, Engine: fx.engine, Prober: &fakeProber{next: fixedNow.Add(55 * time.Second)},
		Theme: theme, ThemeDecided: true, ReadOnlyReason: why, Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 40})
	m.Update(eventsMsg{events: append(fx.observations(), probe.BundleEvents(fx.fleet.Bundles, fixedNow)...)})
	if ev := m.ring.At(0).Message; ev != "read-only console: "+why {
		t.Fatalf("the event log's first line %q", ev)
	}
	runBatch(press(m, "x"))
	if m.mode != modeNormal || !strings.HasPrefix(m.flash, "read-only console: x (fix: reload + verify) is disabled: "+why) || fx.reloads() != 0 {
		t.Fatalf("x with an untrusted config: mode %v, flash %q, reloads %d", m.mode, m.flash, fx.reloads())
	}
	// Cut at the width, the footer points at the log, which has it whole.
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 40})
	if ev := m.ring.At(m.ring.Len() - 1).Message; ev != m.flash || !strings.Contains(lastLine(screen(m)), "(l: full text") {
		t.Fatalf("the event log's last line %q, footer %q", ev, lastLine(screen(m)))
	}
}
