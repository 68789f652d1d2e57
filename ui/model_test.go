package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"certdeck/model"

	"charm.land/bubbles/v2/key"
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
	for i := 0; i < 20 && selectedName(m) != "www"; i++ {
		press(m, "j")
	}
	if selectedName(m) != "www" {
		t.Fatalf("could not select www; order %v", rowNames(m))
	}
	before := slices.Index(rowNames(m), "www")
	// www now serves an expired certificate: it jumps to the CRIT rows.
	m.Update(eventsMsg{events: []model.Event{obs("www", cert("www.example.com", "99", -time.Hour))}})
	after := slices.Index(rowNames(m), "www")
	if after >= before {
		t.Fatalf("www did not move up (row %d -> %d); the test proves nothing", before, after)
	}
	if got := selectedName(m); got != "www" {
		t.Fatalf("cursor on %q after re-sort, want www", got)
	}
}

func TestCursorStartsOnWorstRowBeforeUserMoves(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	if got := selectedName(m); got != "stall" {
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
			got := append([]string(nil), rowNames(m)...)
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
			if len(rowNames(m)) != 11 || m.filterText != "" {
				t.Fatalf("esc left %d rows and filter %q", len(rowNames(m)), m.filterText)
			}
		})
	}
}

// headingLine is the table's column heading on screen.
func headingLine(t *testing.T, m *Model) string {
	t.Helper()
	for _, l := range strings.Split(screen(m), "\n") {
		if strings.HasPrefix(l, "STATUS") {
			return l
		}
	}
	t.Fatalf("no column heading on screen:\n%s", screen(m))
	return ""
}

func TestSortCyclesColumnsOnScreenAndShowsArrow(t *testing.T) {
	m, _ := newTestModel(t, 100, 30, false)
	if h := headingLine(t, m); !strings.Contains(h, "STATUS ▼") {
		t.Fatalf("default sort not marked in the heading: %q", h)
	}
	press(m, "s") // name
	if rowNames(m)[0] != "api" || rowNames(m)[len(rowNames(m))-1] != "www" || !strings.Contains(headingLine(t, m), "NAME ▲") {
		t.Fatalf("sort by name: %v, heading %q", rowNames(m), headingLine(t, m))
	}
	press(m, "S")
	if rowNames(m)[0] != "www" || !strings.Contains(headingLine(t, m), "NAME ▼") {
		t.Fatalf("reversed name sort: %v, heading %q", rowNames(m), headingLine(t, m))
	}
	press(m, "s") // left: a number column carries its arrow before the title
	if rowNames(m)[0] != "old-vpn" || !strings.Contains(headingLine(t, m), "▲ LEFT") {
		t.Fatalf("sort by left: first %q, heading %q; want old-vpn (expired), ▲ LEFT", rowNames(m)[0], headingLine(t, m))
	}
	// At 100 columns ADDRESS, ISSUER and LATENCY are off screen: s goes
	// through the rest on screen and back to status, never sorting by an
	// invisible column.
	for _, want := range []string{"EXPIRES ▲", "SERIAL ▲", "TICKET ▲", "REASON ▲", "STATUS ▼"} {
		press(m, "s")
		if h := headingLine(t, m); !strings.Contains(h, want) || strings.Contains(screen(m), "sort:") {
			t.Fatalf("s after the previous column: want %q in the heading %q\n%s", want, h, screen(m))
		}
	}
	// A sort whose column left the screen (the terminal narrowed) is named
	// in the header.
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 30})
	press(m, "s", "s")
	if h := headingLine(t, m); !strings.Contains(h, "ADDRESS ▲") {
		t.Fatalf("at 200 columns the second s sorts by address: %q", h)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if s := screen(m); !strings.Contains(strings.Split(s, "\n")[1], "sort: address ▲") {
		t.Fatalf("sort by an off-screen column not named in the header:\n%s", s)
	}
}

func TestGroupKeyOrdersByGroupUnderHeadingsWithCounts(t *testing.T) {
	m, _ := newTestModel(t, 160, 30, false)
	press(m, "o")
	var groups []string
	for _, n := range rowNames(m) {
		groups = append(groups, m.state.Endpoint(n).Endpoint.Group)
	}
	if !slices.IsSorted(groups) {
		t.Fatalf("rows not grouped: %v", groups)
	}
	s := screen(m)
	for _, want := range []string{"▾ edge · 4  ! 1 ERROR  ✗ 3 CRIT", "▾ pay · 2  ✗ 1 CRIT  ✓ 1 OK", "▾ web · 4  ▲ 1 WARN  ? 1 UNKNOWN  ✓ 2 OK"} {
		if !strings.Contains(s, want) {
			t.Fatalf("no group heading %q:\n%s", want, s)
		}
	}
	// The cursor moves over rows, never onto a heading: the row position
	// counts endpoints.
	press(m, "G")
	if got := selectedName(m); got != "api" || !strings.Contains(strings.Split(screen(m), "\n")[1], "11/11") {
		t.Fatalf("G in grouped rows selected %q:\n%s", got, screen(m))
	}
}

func TestReprobeKeysTriggerScheduler(t *testing.T) {
	m, p := newTestModel(t, 100, 30, false)
	sel := selectedName(m)
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
	for selectedName(m) != "api" {
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
	m, _ := newTestModel(t, 100, 30, false)
	f := m.sections[0].(*fleetSection)
	titles := func(w int) []string {
		var out []string
		for _, i := range layoutColumns(f.cols, w).cols {
			out = append(out, f.cols[i].title)
		}
		return out
	}
	if got := titles(80); !slices.Contains(got, "STATUS") || !slices.Contains(got, "NAME") ||
		!slices.Contains(got, "LEFT") || !slices.Contains(got, "REASON") || slices.Contains(got, "ADDRESS") {
		t.Fatalf("at 80 columns: %v", got)
	}
	shown := 0
	for _, c := range f.cols {
		if !c.hidden {
			shown++
		}
	}
	if got := titles(250); len(got) != shown {
		t.Fatalf("at 250 columns want all %d columns (OCSP hidden: nothing stapled), got %v", shown, got)
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

// stubSection is a third tab (ticket keys, to come) built from nothing
// but the Section contract, to prove the root model knows no section by
// type: added as one entry, it gets its tab, its keys, its counts in the
// header, the filter, the detail pane and its help.
type stubSection struct {
	keys   []string
	filter []string
	w, h   int
}

func (s *stubSection) Name() string  { return "Keys" }
func (s *stubSection) Title() string { return "Keys 2 ▲1 WARN" }
func (s *stubSection) Counts() statusCounts {
	var c statusCounts
	c[model.Warn], c[model.OK] = 1, 1
	return c
}
func (s *stubSection) Len() int              { return 2 }
func (s *stubSection) Summary() tableSummary { return tableSummary{shown: 2, total: 2, position: 1} }
func (s *stubSection) SetSize(w, h int)      { s.w, s.h = w, h }
func (s *stubSection) SetFilter(w []string)  { s.filter = w }
func (s *stubSection) Refresh()              {}
func (s *stubSection) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	s.keys = append(s.keys, msg.String())
	return nil, msg.String() == "j" || msg.String() == "t"
}
func (s *stubSection) View(w, h int) []string { return padLines([]string{"ticket key rows"}, w, h) }
func (s *stubSection) Selection() any         { return "key-1" }
func (s *stubSection) Detail() []detailLine   { return []detailLine{{text: "ticket key key-1 detail"}} }
func (s *stubSection) Marked() []any          { return nil }
func (s *stubSection) ClearMarks() bool       { return false }
func (s *stubSection) ShortHelp() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "rotate key"))}
}
func (s *stubSection) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

func TestANewSectionNeedsOnlyItsEntry(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, false)
	stub := &stubSection{}
	m.sections = append(m.sections, stub) // what one more entry in New does
	m.relayout()
	if s := screen(m); !strings.Contains(s, "[Fleet 11") || !strings.Contains(s, "Keys 2 ▲1 WARN") {
		t.Fatalf("no tab for the new section:\n%s", s)
	}
	press(m, "t")
	if !strings.Contains(m.flash, "t (rotate key) works on the Keys tab") {
		t.Fatalf("its key pressed on another tab: flash %q", m.flash)
	}
	m.flash = ""
	press(m, "tab", "j", "t")
	if !slices.Equal(stub.keys, []string{"j", "t"}) {
		t.Fatalf("the new section got keys %v, want [j t]", stub.keys)
	}
	if stub.w != 120 || stub.h == 0 {
		t.Fatalf("the new section was not sized: %dx%d", stub.w, stub.h)
	}
	s := screen(m)
	header := strings.Split(s, "\n")[0]
	if !strings.Contains(s, "ticket key rows") || strings.Count(s, "\n")+1 != 30 || !strings.Contains(header, "▲ 1 WARN  ✓ 1 OK") ||
		strings.Contains(header, "CRIT") {
		t.Fatalf("the new section's rows or counts not shown:\n%s", s)
	}
	if footer := strings.Split(s, "\n")[29]; !strings.Contains(footer, "t rotate key") {
		t.Fatalf("footer does not offer the section's key: %q", footer)
	}
	press(m, "/", "a", "enter")
	if !slices.Equal(stub.filter, []string{"a"}) {
		t.Fatalf("filter not passed to the new section: %v", stub.filter)
	}
	press(m, "enter")
	if !strings.Contains(screen(m), "ticket key key-1 detail") {
		t.Fatalf("detail pane of the new section not shown:\n%s", screen(m))
	}
	press(m, "esc", "?")
	if !strings.Contains(screen(m), "rotate key") {
		t.Fatalf("help does not list the new section's keys:\n%s", screen(m))
	}
}
