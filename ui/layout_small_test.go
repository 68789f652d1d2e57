package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// TestTooSmallWrapsOnWords: at 40 columns the message wraps between
// words, never inside "60x15" or "40x10".
func TestTooSmallWrapsOnWords(t *testing.T) {
	m, _ := newTestModel(t, 40, 10, false)
	s := screen(m)
	if !strings.Contains(s, "60x15,") || !strings.Contains(s, "have 40x10)") && !strings.Contains(s, "\n40x10)") {
		t.Fatalf("the too-small message breaks inside a size:\n%s", s)
	}
	for _, l := range strings.Split(s, "\n") {
		if width(l) > 40 {
			t.Errorf("line wider than the terminal: %q", l)
		}
	}
}

// TestNameWidthCountsEscapedCharacters: a name with a control character
// is shown escaped, and NAME is as wide as that escaped text, so with
// room to spare the name shows whole.
func TestNameWidthCountsEscapedCharacters(t *testing.T) {
	theme, _ := themes.Builtin(themes.ANSI)
	f := testFleet(t)
	f.Endpoints[0].Name = "bad\x1b[31mname"
	m := New(Options{Fleet: f, Prober: &fakeProber{next: fixedNow.Add(time.Minute)}, Theme: theme, ThemeDecided: true,
		Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 30})
	shown := clean(f.Endpoints[0].Name)
	if !strings.Contains(screen(m), shown+" ") {
		t.Fatalf("the escaped name %q is not shown whole at 200 columns:\n%s", shown, screen(m))
	}
}

// TestReasonGetsAShareAt60Columns: at 60x15 the Fleet tab of the demo's
// 19-character names shows REASON beside STATUS, NAME and LEFT, rather
// than widening NAME (or LEFT) past its content.
func TestReasonGetsAShareAt60Columns(t *testing.T) {
	theme, _ := themes.Builtin(themes.ANSI)
	f := testFleet(t)
	for i := range f.Endpoints {
		f.Endpoints[i].Name += ".demo.test"
	}
	m := New(Options{Fleet: f, Prober: &fakeProber{next: fixedNow.Add(time.Minute)}, Theme: theme, ThemeDecided: true,
		Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: 60, Height: 15})
	events := testEvents()
	for _, ev := range events {
		if o, ok := ev.(*model.Observation); ok {
			o.Endpoint += ".demo.test"
		}
	}
	m.Update(eventsMsg{events: events})
	h := headingLine(t, m)
	if !strings.Contains(h, "REASON") {
		t.Fatalf("no REASON column at 60 columns: %q\n%s", h, screen(m))
	}
	longest := len("selfsigned.demo.test")
	if name, left := strings.Index(h, "NAME"), strings.Index(h, "LEFT"); left-name > longest+1+len("LEFT ▲")-len("LEFT") {
		t.Errorf("NAME and LEFT are wider than their content (longest name %d): %q", longest, h)
	}
	if !strings.Contains(screen(m), "handshake: i/o") {
		t.Errorf("stall's reason not shown at 60 columns:\n%s", screen(m))
	}
}
