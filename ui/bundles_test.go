package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// newBundleModel is the console over bundleFleet after one probe round
// and one read of each bundle, on the Bundles tab.
func newBundleModel(t testing.TB, w, h int, readOnly bool) *Model {
	t.Helper()
	theme, _ := themes.Builtin(themes.ANSI)
	m := New(Options{Fleet: bundleFleet(t), Prober: &fakeProber{next: fixedNow.Add(55 * time.Second)}, Theme: theme,
		ThemeDecided: true, ReadOnly: readOnly, Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	shop := bundleLeaf(t, 0x2c3d4e5f60718293, 20*24*time.Hour, "shop.example.com", "www.example.com")
	api := bundleLeaf(t, 0x0a1b2c3d4e5f6071, 80*24*time.Hour, "api.example.com")
	events := testEvents()
	// shop serves the bundle's certificate; www serves another one.
	events[0] = obs("api", model.DescribeCert(api.Cert))
	events[2] = obs("shop", model.DescribeCert(shop.Cert))
	events = append(events, storeSnapshot("shopcert", "v0004", shop), storeSnapshot("apicert", "v0002", api))
	m.Update(eventsMsg{events: events})
	press(m, "tab")
	return m
}

func TestBundlesSectionMatchesGolden(t *testing.T) {
	tests := []struct {
		name string
		keys []string
	}{
		{name: "bundles_120x40"},
		{name: "bundle_detail_120x40", keys: []string{"enter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newBundleModel(t, 120, 40, false)
			press(m, tt.keys...)
			got := screen(m)
			if n := strings.Count(got, "\n") + 1; n != 40 {
				t.Errorf("screen has %d lines, want exactly 40", n)
			}
			checkGolden(t, tt.name, got)
		})
	}
}

// rowOf is the screen line of one bundle row.
func rowOf(t *testing.T, m *Model, name string) string {
	t.Helper()
	for _, l := range strings.Split(screen(m), "\n") {
		if strings.Contains(l, " "+name+" ") {
			return l
		}
	}
	t.Fatalf("no row for %s on screen:\n%s", name, screen(m))
	return ""
}

func TestBundleSnapshotChangesRowWithoutKeyPress(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	before := rowOf(t, m, "shopcert")
	if !strings.Contains(before, "WARN") || !strings.Contains(before, "1/2 in sync") || !strings.Contains(before, "…60718293") {
		t.Fatalf("shopcert row before the renewal: %q; want WARN, 1/2 in sync, serial …60718293", before)
	}
	// A renewal lands on disk: neither endpoint has reloaded yet.
	renewed := bundleLeaf(t, 0x7777777777777777, 85*24*time.Hour, "shop.example.com", "www.example.com")
	m.Update(eventsMsg{events: []model.Event{storeSnapshot("shopcert", "v0005", renewed)}})
	after := rowOf(t, m, "shopcert")
	if !strings.Contains(after, "77777777") || !strings.Contains(after, "85d") || !strings.Contains(after, "0/2 in sync") {
		t.Fatalf("shopcert row after the renewal: %q; want serial 77777777, 85d left, 0/2 in sync", after)
	}
}

func TestReprobeOnBundleRereadsAndProbesItsEndpoints(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	rescans := &fakeRescanner{}
	m.opts.Bundles = rescans
	p := m.opts.Prober.(*fakeProber)
	if got := selectedName(m); got != "shopcert" {
		t.Fatalf("selected %q, want shopcert (worst first)", got)
	}
	cmd := press(m, "r")
	if cmd == nil {
		t.Fatal("r on a bundle returned no command")
	}
	runBatch(cmd)
	if len(rescans.names) != 1 || rescans.names[0] != "shopcert" {
		t.Errorf("rescanned %v, want [shopcert]", rescans.names)
	}
	if len(p.triggered) != 1 || strings.Join(p.triggered[0], ",") != "shop,www" {
		t.Errorf("probed %v, want [[shop www]]", p.triggered)
	}
}

func TestBundlesFooterOffersActionsUnlessReadOnly(t *testing.T) {
	for _, ro := range []bool{false, true} {
		m := newBundleModel(t, 120, 40, ro)
		lines := strings.Split(screen(m), "\n")
		footer := lines[len(lines)-1]
		if has := strings.Contains(footer, "p publish"); has == ro {
			t.Errorf("read-only %v: footer %q", ro, footer)
		}
	}
}

type fakeRescanner struct{ names []string }

func (f *fakeRescanner) Rescan(names ...string) { f.names = append(f.names, names...) }

// runBatch runs a command and every command a tea.Batch holds (ticks
// included: they only sleep), the way the program would.
func runBatch(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	if b, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range b {
			runBatch(c)
		}
	}
}

func TestFilterNarrowsBundlesToo(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	press(m, "/", "a", "p", "i", "enter")
	if s := screen(m); !strings.Contains(s, " apicert ") || strings.Contains(s, " shopcert ") {
		t.Fatalf("filter api on the Bundles tab:\n%s", s)
	}
	press(m, "esc")
	if s := screen(m); !strings.Contains(s, " shopcert ") {
		t.Fatalf("esc did not clear the bundle filter:\n%s", s)
	}
}
