package ui

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"certdeck/model"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

func TestBundlesTabCopiesSortsAndCountsItsFilter(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	bs := m.state.Bundle(selectedName(m))
	for _, tc := range []struct{ key, want string }{{"c", bs.Serial()}, {"C", bs.Leaf().SHA256}} {
		cmd := press(m, tc.key)
		if cmd == nil || fmt.Sprint(cmd()) != tc.want {
			t.Fatalf("%s on a bundle did not copy %s", tc.key, tc.want)
		}
	}
	first := rowOf(t, m, "apicert") // worst first: shopcert, then apicert
	press(m, "s")                   // by name: apicert first
	lines := strings.Split(screen(m), "\n")
	at := func(name string) int {
		for i, l := range lines {
			if strings.Contains(l, " "+name+" ") {
				return i
			}
		}
		return -1
	}
	if at("apicert") > at("shopcert") || !strings.Contains(screen(m), "NAME ▲") {
		t.Fatalf("s did not sort the bundles by name (apicert row was %q):\n%s", first, screen(m))
	}
	press(m, "/", "a", "p", "i", "c", "enter")
	if l := strings.Split(screen(m), "\n")[1]; !strings.Contains(l, "(1 of 2)") {
		t.Fatalf("the Bundles filter counts %q, want (1 of 2) bundles", l)
	}
}

func TestKeyWithNoMeaningSaysSo(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "z")
	if !strings.Contains(lastLine(screen(m)), "z does nothing here") {
		t.Fatalf("z: footer %q", lastLine(screen(m)))
	}
	b := newBundleModel(t, 120, 40, false)
	press(b, "tab", "p")
	if f := lastLine(screen(b)); !strings.Contains(f, "publish") || !strings.Contains(f, "Bundles tab") {
		t.Fatalf("p on the Fleet tab: footer %q, want where publish works", f)
	}
	ro := newBundleModel(t, 120, 40, true)
	press(ro, "p")
	if f := lastLine(screen(ro)); !strings.Contains(f, "read-only") {
		t.Fatalf("p in read-only mode: footer %q, want it to say read-only", f)
	}
}

func TestHelpShowsEveryKeyAt80x24(t *testing.T) {
	for _, bundles := range []bool{false, true} {
		var m *Model
		if bundles {
			m = newBundleModel(t, 80, 24, false)
		} else {
			m, _ = newTestModel(t, 80, 24, false)
		}
		press(m, "?")
		s := screen(m)
		s = s[:strings.LastIndex(s, "\n")] // the help body, not the footer
		want := []string{`k/↑\s+up`, `G\s+bottom`, `enter\s+detail`, `q\s+quit`, `r\s+re-`, `C\s+copy SHA-256`, `o\s+group`,
			`space\s+mark`, `:\s+command`, `x\s+fix: reload \+ verify`}
		if bundles {
			// No room for the commands too: typing : lists them.
			want = append(want, `P\s+publish \+ reload`)
		} else {
			want = append(want, `:reload NAME…\s+reload \+ verify`, `:rollback BUNDLE \[VERSION\]`, `:theme NAME`)
		}
		if bundles {
			want = append(want, `p\s+publish`, `b\s+roll back`)
		}
		for _, re := range want {
			if !regexp.MustCompile(`(^|\s)` + re).MatchString(s) {
				t.Errorf("bundles tab %v: %s not on the 80x24 help screen:\n%s", bundles, re, s)
			}
		}
	}
}

// modes are the screens whose footers must fit: the key presses that
// open each one.
var footerModes = []struct {
	name string
	keys []string
}{
	{"table", nil},
	{"detail", []string{"enter"}},
	{"event log", []string{"l"}},
}

func TestFootersFitWithQuitAt80Columns(t *testing.T) {
	for _, bundles := range []bool{false, true} {
		for _, mode := range footerModes {
			for _, ro := range []bool{false, true} {
				var m *Model
				if bundles {
					m = newBundleModel(t, 80, 24, ro)
				} else {
					m, _ = newTestModel(t, 80, 24, ro)
				}
				press(m, mode.keys...)
				f := lastLine(screen(m))
				if !strings.Contains(f, "q quit") || strings.Contains(f, "…") {
					t.Errorf("bundles %v, %s, read-only %v: footer %q", bundles, mode.name, ro, f)
				}
			}
		}
	}
}

// footerKeys are the keys a footer advertises, each item's alternatives
// together ("j/k move" → [j k], "ctrl+d/u" → [ctrl+d ctrl+u]).
func footerKeys(footer string) [][]string {
	var keys [][]string
	for _, item := range strings.Split(footer, " • ") {
		f := strings.Fields(item)
		if len(f) == 0 {
			continue
		}
		k := f[0]
		if len(k) == 1 {
			keys = append(keys, []string{k})
			continue
		}
		alts := strings.Split(k, "/")
		if strings.HasPrefix(alts[0], "ctrl+") {
			for i := 1; i < len(alts); i++ {
				alts[i] = "ctrl+" + alts[i]
			}
		}
		keys = append(keys, alts)
	}
	return keys
}

func TestEveryFooterKeyDoesSomething(t *testing.T) {
	for _, bundles := range []bool{false, true} {
		for _, mode := range footerModes {
			setup := func() *Model {
				var m *Model
				if bundles {
					m = newBundleModel(t, 120, 30, false)
				} else {
					m, _ = newTestModel(t, 120, 30, false)
				}
				for i := 0; i < 30; i++ { // enough events to scroll the log
					m.ring.Add(model.Change{Time: fixedNow, Subject: "api", Kind: model.ChangeStatus, Message: fmt.Sprint("event ", i)})
				}
				press(m, mode.keys...)
				return m
			}
			m := setup()
			for _, keys := range footerKeys(lastLine(screen(m))) {
				// "j/k scroll": at the newest event j has nowhere to go, k
				// does; one of a pair must act.
				acted := false
				for _, k := range keys {
					m := setup()
					before := screen(m)
					cmd := press(m, k)
					after := screen(m)
					acted = acted || cmd != nil || after != before
					if strings.Contains(lastLine(after), "does nothing") {
						t.Errorf("bundles %v, %s: %s is in the footer but says %q", bundles, mode.name, k, lastLine(after))
					}
				}
				if !acted {
					t.Errorf("bundles %v, %s: %v is in the footer but does nothing", bundles, mode.name, keys)
				}
			}
		}
	}
}

func TestDetailMovesLikeTheTable(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "enter", "G")
	if got := selectedName(m); got != "api" || m.mode != modeDetail {
		t.Fatalf("G in the detail pane: selected %q, mode %v; want the last row (api), pane open", got, m.mode)
	}
	if !strings.Contains(screen(m), "│ api  ✓ OK") {
		t.Fatalf("the detail pane does not follow the cursor:\n%s", screen(m))
	}
	press(m, "g", "j")
	if got := selectedName(m); got != "old-vpn" {
		t.Fatalf("g then j in the detail pane selected %q, want the second row (old-vpn)", got)
	}
	press(m, "k")
	if got := selectedName(m); got != "stall" {
		t.Fatalf("k in the detail pane selected %q, want stall", got)
	}
}

// pipeProgram runs the console with its keyboard input on a pipe, so a
// test can write the bytes a terminal sends.
func pipeProgram(t *testing.T, m *Model) (write func(string), final func() *Model) {
	t.Helper()
	r, w := io.Pipe()
	p := tea.NewProgram(m, tea.WithInput(r), tea.WithOutput(io.Discard), tea.WithWindowSize(120, 40), tea.WithoutSignals())
	done := make(chan tea.Model, 1)
	go func() {
		fm, err := p.Run()
		if err != nil {
			t.Errorf("program: %v", err)
		}
		done <- fm
	}()
	t.Cleanup(func() { w.Close() })
	write = func(s string) {
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // let the reader decode and Update run
	}
	final = func() *Model {
		p.Quit()
		select {
		case fm := <-done:
			return fm.(*Model)
		case <-time.After(5 * time.Second):
			t.Fatal("program did not quit")
			return nil
		}
	}
	return write, final
}

func TestTwoEscInOneWriteBothAct(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "/", "w", "e", "b", "enter", "enter") // a filter, then the detail pane
	if m.mode != modeDetail || m.filterText != "web" {
		t.Fatalf("setup: mode %v filter %q", m.mode, m.filterText)
	}
	write, final := pipeProgram(t, m)
	// What tmux writes for `send-keys Escape Escape`: both bytes at once.
	write("\x1b\x1b")
	got := final()
	if got.mode != modeNormal || got.filterText != "" {
		t.Fatalf("after esc esc: mode %v, filter %q; want the pane closed and the filter cleared", got.mode, got.filterText)
	}
}

func TestEscAndAKeyInOneWriteBothAct(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "enter")
	write, final := pipeProgram(t, m)
	write("\x1bj") // esc, then j, typed together: the pane closes and the cursor moves
	got := final()
	if got.mode != modeNormal || selectedName(got) != "old-vpn" {
		t.Fatalf("after esc j: mode %v, selected %q; want the pane closed and the second row (old-vpn)", got.mode, selectedName(got))
	}
}

func TestReadmeKeyTableMatchesTheKeymap(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "## Console keys")
	if !ok {
		t.Fatal("README has no Console keys section")
	}
	table, _, _ = strings.Cut(table, "\n\n`")
	bound := map[string]bool{}
	k := DefaultKeys()
	for _, b := range []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Detail, k.Back, k.Filter, k.Help,
		k.Events, k.NextSection, k.ScrollDown, k.ScrollUp, k.Sort, k.SortReverse, k.Group, k.Probe, k.ProbeAll, k.Reread,
		k.Copy, k.CopyFingerprint, k.Publish, k.Rollback, k.Fix, k.PublishReload, k.RotateTickets, k.Mark, k.Command, k.Quit} {
		for _, key := range b.Keys() {
			bound[key] = true
		}
	}
	bound["arrows"], bound["y"] = true, true
	for _, key := range []string{"up", "down", "enter", "tab"} { // keys of the command line
		bound[key] = true
	}
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.Split(line, "|")[1]
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cell, -1) {
			if !bound[m[1]] {
				t.Errorf("README's key table names %q, which no binding has", m[1])
			}
		}
		if strings.Contains(cell, "`q`") && !strings.Contains(line, "dialog") {
			t.Errorf("README's q row does not say what q does in a (y/N) dialog: %s", line)
		}
	}
}

func TestQuitKeyCancelsADialogAndCtrlCQuits(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	open := func() {
		m.Update(planMsg{action: "publish", bundle: m.selectedBundle().Bundle, lines: []string{"Publish shopcert"}})
		if m.mode != modeConfirm {
			t.Fatal("no dialog")
		}
	}
	open()
	if cmd := press(m, "q"); cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("q in a dialog quit the console")
		}
	}
	if m.mode != modeNormal || !strings.Contains(m.flash, "cancelled") {
		t.Fatalf("q in a dialog: mode %v flash %q, want cancelled", m.mode, m.flash)
	}
	if !strings.Contains(lastLine(func() string { open(); return screen(m) }()), "q too") {
		t.Fatalf("the dialog's footer does not say q cancels: %q", lastLine(screen(m)))
	}
	if !isQuit(t, press(m, "ctrl+c")) {
		t.Fatal("ctrl+c in a dialog did not quit")
	}
}

// TestWrongTabHintNamesEveryTabWhereTheKeyWorks: c on the Ticket keys
// tab works on both other tabs, and the hint says both (it named the
// first only); a key that works on one tab names that one; a key whose
// meaning differs per tab says each.
func TestWrongTabHintNamesEveryTabWhereTheKeyWorks(t *testing.T) {
	fx := newTicketFixture(t, false)
	fx.fleet.Bundles = append(fx.fleet.Bundles, model.Bundle{Name: "pem", Path: "/nonexistent/pem", Layout: model.LayoutSingleFile})
	m := fx.console(200, 40, false)
	tabToTickets(t, m)
	for _, c := range []struct{ key, want string }{
		{"c", "c (copy serial) works on the Fleet and Bundles tabs: tab switches to them"},
		{"P", "P (publish + reload) works on the Bundles tab: tab switches to it"},
		{"r", "r works on the Fleet tab (re-probe) and the Bundles tab (re-read + re-probe): tab switches to them"},
	} {
		press(m, c.key)
		if m.flash != c.want {
			t.Errorf("%s on the Ticket keys tab: flash %q, want %q", c.key, m.flash, c.want)
		}
	}
}
