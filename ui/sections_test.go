package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

func consoleFor(t *testing.T, f *model.Fleet, w, h int) *Model {
	t.Helper()
	theme, _ := themes.Builtin(themes.ANSI)
	m := New(Options{Fleet: f, Theme: theme, ThemeDecided: true, Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func TestBundlesOnlyConsoleOpensOnBundles(t *testing.T) {
	f := bundleFleet(t)
	f.Endpoints = nil
	for i := range f.Bundles {
		f.Bundles[i].Serves = nil
	}
	m := consoleFor(t, f, 120, 30)
	if s := screen(m); !strings.Contains(s, "[Bundles 2") || !strings.Contains(s, " shopcert ") {
		t.Fatalf("a bundles-only console did not open on its bundles:\n%s", s)
	}
}

func TestEmptyFleetSaysWhereToAddEndpoints(t *testing.T) {
	f, err := (&model.Config{}).Resolve()
	if err != nil {
		t.Fatal(err)
	}
	f.Source = "/home/op/.config/certdeck/config.yaml"
	if s := screen(consoleFor(t, f, 120, 30)); !strings.Contains(s, "add some under endpoints: in /home/op/.config/certdeck/config.yaml") {
		t.Fatalf("empty fleet from a config file:\n%s", s)
	}
	f.Source = "" // built from arguments: no file to name
	if s := screen(consoleFor(t, f, 120, 30)); !strings.Contains(s, "--config FILE") || !strings.Contains(s, "as arguments") {
		t.Fatalf("empty fleet from arguments:\n%s", s)
	}
}

func TestViewChangesNothing(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	press(m, "G", "tab", "j")
	snapshot := func() string {
		var b strings.Builder
		for _, s := range m.sections {
			fmt.Fprintf(&b, "%+v\n", s)
		}
		fmt.Fprintf(&b, "%v %v %d %d %q", m.mode, m.active, m.detailScroll, m.eventScroll, m.flash)
		return b.String()
	}
	before := snapshot()
	for _, keys := range [][]string{nil, {"enter"}, {"enter", "esc", "l"}, {"esc", "?"}} {
		press(m, keys...)
		before = snapshot()
		_ = m.View()
		// A section asked for another size than Update gave it (a pane
		// drawn at another height) must not move its window either.
		for _, s := range m.sections {
			_ = s.View(50, 5)
		}
		if after := snapshot(); after != before {
			t.Fatalf("after %v, View changed the model:\n--- before\n%s\n--- after\n%s", keys, before, after)
		}
	}
}

func TestHostileTextIsShownEscaped(t *testing.T) {
	m, _ := newTestModel(t, 160, 30, false)
	evil := cert("api.example.com", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", 80*24*time.Hour)
	evil.IssuerCN = "Evil \u202eAC gnitseT\u202c CA"
	m.Update(eventsMsg{events: []model.Event{obs("api", evil)}})
	if v := m.View().Content; strings.ContainsRune(v, '\u202e') {
		t.Fatal("a bidi override from a certificate reached the screen")
	}
	if !strings.Contains(screen(m), `\u202e`) {
		t.Fatalf("the override is not shown escaped:\n%s", screen(m))
	}
}

func TestConsoleOrderIsTheModelsWorstFirst(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	var bundles []string
	for _, bs := range m.state.BundlesWorstFirst(fixedNow) {
		bundles = append(bundles, bs.Bundle.Name)
	}
	if got := rowNames(m); !slices.Equal(got, bundles) {
		t.Fatalf("Bundles tab order %v, model.BundlesWorstFirst %v", got, bundles)
	}
	press(m, "tab")
	var endpoints []string
	for _, es := range m.state.WorstFirst(fixedNow) {
		endpoints = append(endpoints, es.Endpoint.Name)
	}
	if got := rowNames(m); !slices.Equal(got, endpoints) {
		t.Fatalf("Fleet tab order %v, model.WorstFirst %v", got, endpoints)
	}
}
