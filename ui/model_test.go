package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"certdeck/model"

	tea "charm.land/bubbletea/v2"
)

func isQuit(t *testing.T, cmd tea.Cmd) bool {
	t.Helper()
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestQuitWorksInEveryState(t *testing.T) {
	tests := []struct {
		name  string
		w, h  int
		setup []string
		quit  string
	}{
		{"normal q", 100, 30, nil, "q"},
		{"normal ctrl+c", 100, 30, nil, "ctrl+c"},
		{"help q", 100, 30, []string{"?"}, "q"},
		{"detail q", 100, 30, []string{"enter"}, "q"},
		{"events q", 100, 30, []string{"l"}, "q"},
		{"filter ctrl+c", 100, 30, []string{"/", "a"}, "ctrl+c"},
		{"too small q", 40, 10, nil, "q"},
		{"too small ctrl+c", 40, 10, nil, "ctrl+c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestModel(t, tt.w, tt.h, false)
			press(m, tt.setup...)
			if !isQuit(t, press(m, tt.quit)) {
				t.Fatalf("%q did not quit", tt.quit)
			}
		})
	}
}

func TestFilterTreatsQAsText(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	if isQuit(t, press(m, "/", "q")) {
		t.Fatal("q typed into the filter quit the console")
	}
	if m.filterText != "q" {
		t.Fatalf("filter text %q, want %q", m.filterText, "q")
	}
}

func TestCursorStaysOnEndpointWhenRowsResort(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	// Walk down to "www" (an OK row near the bottom).
	for i := 0; i < 20 && m.fleet.Selected() != "www"; i++ {
		press(m, "j")
	}
	if m.fleet.Selected() != "www" {
		t.Fatalf("could not select www; order %v", m.fleet.order)
	}
	before := slices.Index(m.fleet.order, "www")
	// www now serves an expired certificate: it jumps to the CRIT rows.
	m.Update(eventsMsg{events: []model.Event{obs("www", cert("www.example.com", "99", -time.Hour))}})
	after := slices.Index(m.fleet.order, "www")
	if after >= before {
		t.Fatalf("www did not move up (row %d -> %d); the test proves nothing", before, after)
	}
	if got := m.fleet.Selected(); got != "www" {
		t.Fatalf("cursor on %q after re-sort, want www", got)
	}
}

func TestCursorStartsOnWorstRowBeforeUserMoves(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	if got := m.fleet.Selected(); got != "stall" {
		t.Fatalf("initial selection %q, want the worst row (stall)", got)
	}
}

func TestFilterMatchesEveryField(t *testing.T) {
	tests := []struct {
		filter string
		want   []string
	}{
		{"billing", []string{"billing"}},                                    // name
		{"10.0.0.8", []string{"wronghost"}},                                 // address
		{"alt.shop", []string{"shop"}},                                      // SAN
		{"issuing ca", nil},                                                 // issuer: every served cert; checked below
		{"crit", []string{"billing", "old-vpn", "selfsigned", "wronghost"}}, // status word
		{"edge", []string{"old-vpn", "selfsigned", "stall", "wronghost"}},   // group
		{"web ok", []string{"api", "www"}},                                  // words narrow
		{"nomatch", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			m, _ := newTestModel(t, 100, 30, false)
			press(m, "/")
			for _, r := range tt.filter {
				if r == ' ' {
					press(m, "space")
				} else {
					press(m, string(r))
				}
			}
			press(m, "enter")
			got := append([]string(nil), m.fleet.order...)
			slices.Sort(got)
			if tt.want == nil {
				if len(got) != 9 { // every endpoint that served a certificate
					t.Fatalf("issuer filter kept %v", got)
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("filter %q kept %v, want %v", tt.filter, got, tt.want)
			}
			press(m, "esc")
			if len(m.fleet.order) != 11 || m.filterText != "" {
				t.Fatalf("esc left %d rows and filter %q", len(m.fleet.order), m.filterText)
			}
		})
	}
}

func TestSortCyclesColumnsAndReverses(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	press(m, "s") // left
	if m.fleet.order[0] != "old-vpn" {
		t.Fatalf("sort by left: first %q, want old-vpn (expired)", m.fleet.order[0])
	}
	press(m, "s") // name
	if m.fleet.order[0] != "api" || m.fleet.order[len(m.fleet.order)-1] != "www" {
		t.Fatalf("sort by name: %v", m.fleet.order)
	}
	press(m, "S")
	if m.fleet.order[0] != "www" {
		t.Fatalf("reversed name sort starts with %q", m.fleet.order[0])
	}
	if !strings.Contains(screen(m), "sort: name ↑") {
		t.Fatal("header does not show the active sort")
	}
}

func TestGroupKeyOrdersByGroupAndShowsColumn(t *testing.T) {
	m, _ := newTestModel(t, 160, 30, false)
	press(m, "o")
	var groups []string
	for _, n := range m.fleet.order {
		groups = append(groups, m.state.Endpoint(n).Endpoint.Group)
	}
	if !slices.IsSorted(groups) {
		t.Fatalf("rows not grouped: %v", groups)
	}
	if !strings.Contains(screen(m), "GROUP") {
		t.Fatal("no GROUP column while grouped")
	}
}

func TestReprobeKeysTriggerScheduler(t *testing.T) {
	m, p := newTestModel(t, 100, 30, false)
	sel := m.fleet.Selected()
	if cmd := press(m, "r"); cmd != nil {
		cmd()
	}
	if cmd := press(m, "R"); cmd != nil {
		cmd()
	}
	if len(p.triggered) != 2 || !slices.Equal(p.triggered[0], []string{sel}) || len(p.triggered[1]) != 0 {
		t.Fatalf("triggers %v, want [[%s] []]", p.triggered, sel)
	}
}

func TestCopyPutsSerialOnClipboard(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	for m.fleet.Selected() != "api" {
		press(m, "j")
	}
	for _, tc := range []struct{ key, want string }{
		{"c", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"},
		{"C", m.state.Endpoint("api").Last.Leaf().SHA256},
	} {
		cmd := press(m, tc.key)
		if cmd == nil {
			t.Fatalf("%s: no clipboard command", tc.key)
		}
		// tea.SetClipboard's message is the text itself (an OSC 52 write).
		if got := fmt.Sprint(cmd()); got != tc.want {
			t.Fatalf("%s copied %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestSerialChangeIsLoggedAndHighlighted(t *testing.T) {
	m, _ := newTestModel(t, 200, 30, false)
	m.Update(eventsMsg{events: []model.Event{obs("api", cert("api.example.com", "ffeeddccbbaa", 80*24*time.Hour))}})
	found := false
	for i := 0; i < m.ring.Len(); i++ {
		if c := m.ring.At(i); c.Subject == "api" && c.Kind == model.ChangeSerial {
			found = true
		}
	}
	if !found {
		t.Fatal("serial change not in the event log")
	}
	if _, ok := m.changedAt["api"]; !ok {
		t.Fatal("changed serial not marked for highlighting")
	}
}

func TestEventRingIsBounded(t *testing.T) {
	r := newEventRing(5)
	for i := 0; i < 12; i++ {
		r.Add(model.Change{Subject: fmt.Sprint(i)})
	}
	if r.Len() != 5 || r.At(0).Subject != "7" || r.At(4).Subject != "11" {
		t.Fatalf("ring holds %d, oldest %q newest %q; want 5, 7, 11", r.Len(), r.At(0).Subject, r.At(4).Subject)
	}
	if got := r.LastFor("9", 3); len(got) != 1 || got[0].Subject != "9" {
		t.Fatalf("LastFor(9) = %v", got)
	}
}

func TestHeaderSaysStaleInWords(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, false)
	if strings.Contains(screen(m), "STALE") {
		t.Fatal("fresh data labelled stale")
	}
	later := fixedNow.Add(3 * m.opts.Fleet.Interval)
	m.ctx.Now = func() time.Time { return later }
	if !strings.Contains(screen(m), "STALE: last probe 3m ago") {
		t.Fatalf("old data not labelled stale:\n%s", screen(m))
	}
}

func TestSpinnerOnlyWhileProbing(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, false)
	if !strings.Contains(screen(m), "probing 1") {
		t.Fatal("in-flight probe not shown")
	}
	m.Update(eventsMsg{events: []model.Event{obs("pending", cert("pending.example.com", "77", 40*24*time.Hour))}})
	if strings.Contains(screen(m), "probing") {
		t.Fatal("probing still shown with nothing in flight")
	}
}

func TestHostileErrorTextCannotDriveTerminal(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, false)
	m.Update(eventsMsg{events: []model.Event{failed("stall", model.ErrProtocol, "bad\x1b[2J\x1b]52;c;AAAA\x07reply")}})
	press(m, "enter")
	v := m.View().Content
	if strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b]52") {
		t.Fatal("escape sequence from the network reached the screen")
	}
}

func TestBackgroundReplyPicksThemeOnlyWhenUndecided(t *testing.T) {
	dark := tea.BackgroundColorMsg{Color: color.Black}
	m, _ := newTestModel(t, 100, 30, false)
	m.Update(dark)
	if m.ctx.Styles.Theme.Name != "ansi" {
		t.Fatalf("decided theme replaced by %q", m.ctx.Styles.Theme.Name)
	}
	m.opts.ThemeDecided = false
	m.Update(dark)
	if m.ctx.Styles.Theme.Name != "dark" {
		t.Fatalf("dark background picked %q", m.ctx.Styles.Theme.Name)
	}
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	if m.ctx.Styles.Theme.Name != "light" {
		t.Fatalf("light background picked %q", m.ctx.Styles.Theme.Name)
	}
}

func TestResizeAdaptsLayout(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	m.Update(tea.WindowSizeMsg{Width: 50, Height: 12})
	if !strings.Contains(screen(m), "terminal too small (need 60x15, have 50x12)") {
		t.Fatalf("small terminal:\n%s", screen(m))
	}
	m.Update(tea.WindowSizeMsg{Width: 70, Height: 16})
	s := screen(m)
	if !strings.Contains(s, "STATUS") || strings.Count(s, "\n")+1 != 16 {
		t.Fatalf("after growing back:\n%s", s)
	}
	for _, line := range strings.Split(s, "\n") {
		if w := len([]rune(line)); w > 70 {
			t.Fatalf("line wider than the terminal (%d): %q", w, line)
		}
	}
}

func TestColumnsDropByPriority(t *testing.T) {
	titles := func(w int) []string {
		var out []string
		for _, c := range layoutColumns(fleetColumns(12, 20), w, false).cols {
			out = append(out, c.title)
		}
		return out
	}
	if got := titles(80); !slices.Contains(got, "STATUS") || !slices.Contains(got, "NAME") ||
		!slices.Contains(got, "LEFT") || !slices.Contains(got, "ERROR") || slices.Contains(got, "ADDRESS") {
		t.Fatalf("at 80 columns: %v", got)
	}
	if got := titles(250); len(got) != 11 {
		t.Fatalf("at 250 columns want all 11 columns, got %v", got)
	}
	if got := titles(80); len(got) >= len(titles(120)) {
		t.Fatal("narrower terminal does not drop columns")
	}
}

func TestDetailBesideFrom120BelowAt80(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "enter")
	if g := m.geometry(); !g.detailBeside {
		t.Fatal("detail not beside the table at 120 columns")
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if g := m.geometry(); g.detailBeside || g.tableH == 0 {
		t.Fatalf("at 80x24 want detail below the table, got %+v", g)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 16})
	if g := m.geometry(); g.tableH != 0 {
		t.Fatalf("at 80x16 the detail should replace the table, got %+v", g)
	}
}

// stubSection stands in for a later section (Bundles) to prove the root
// model routes to sections without knowing them.
type stubSection struct{ keys []string }

func (s *stubSection) Title() string  { return "Bundles" }
func (s *stubSection) Refresh(*Model) {}
func (s *stubSection) HandleKey(_ *Model, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	s.keys = append(s.keys, msg.String())
	return nil, msg.String() == "j"
}
func (s *stubSection) View(_ *Model, w, h int) []string {
	return padLines([]string{"bundle rows"}, w, h)
}
func (s *stubSection) Selected() string { return "" }

func TestTabSwitchesSectionsAndRoutesKeys(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	stub := &stubSection{}
	m.sections = append(m.sections, stub)
	m.relayout()
	if s := screen(m); !strings.Contains(s, "[Fleet]") || !strings.Contains(s, "Bundles") {
		t.Fatalf("no section tabs:\n%s", s)
	}
	press(m, "tab", "j")
	if !slices.Equal(stub.keys, []string{"j"}) {
		t.Fatalf("active section got keys %v, want [j]", stub.keys)
	}
	if s := screen(m); !strings.Contains(s, "bundle rows") || strings.Count(s, "\n")+1 != 30 {
		t.Fatalf("active section not shown or screen not 30 lines:\n%s", s)
	}
}
