package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// lbModel is a console over one all_ips endpoint (two nodes, one serving
// an old certificate) and one plain endpoint.
func lbModel(t *testing.T) *Model {
	t.Helper()
	cfg := &model.Config{Name: "lb", Endpoints: []model.EndpointConfig{
		{Name: "lb", Address: "www.example.com:443", AllIPs: true},
		{Name: "solo", Address: "10.0.0.9:443", SNI: "solo.example.com"},
	}}
	f, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	theme, _ := themes.Builtin(themes.ANSI)
	m := New(Options{Fleet: f, Theme: theme, ThemeDecided: true, Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	day := 24 * time.Hour
	fresh := obs("lb", cert("www.example.com", "aaaa0001aaaa0001", 80*day), func(o *model.Observation) { o.IP = "192.0.2.1" })
	old := obs("lb", cert("www.example.com", "bbbb0002bbbb0002", 3*day), func(o *model.Observation) { o.IP = "2001:db8::2" })
	top := *old
	top.Addresses = []*model.Observation{fresh, old}
	m.Update(eventsMsg{events: []model.Event{&top, obs("solo", cert("solo.example.com", "cccc0003cccc0003", 50*day))}})
	return m
}

// An endpoint probed at every address shows one line per address under
// its row, each with its own status and serial; the cursor moves over
// endpoints only.
func TestEveryAddressHasALineUnderItsEndpoint(t *testing.T) {
	m := lbModel(t)
	lines := strings.Split(screen(m), "\n")
	at := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "✗ CRIT    lb ") {
			at = i
			break
		}
	}
	if at < 0 || at+2 >= len(lines) {
		t.Fatalf("no lb row:\n%s", screen(m))
	}
	for i, want := range [][]string{{"OK", "└ 192.0.2.1", "0001"}, {"CRIT", "└ 2001:db8::2", "0002", "expires in 3 days"}} {
		for _, w := range want {
			if !strings.Contains(lines[at+1+i], w) {
				t.Errorf("line under lb %d %q lacks %q", i+1, lines[at+1+i], w)
			}
		}
	}
	if !strings.Contains(lines[at], "CRIT") {
		t.Errorf("lb row %q: want CRIT, its worst address's status", lines[at])
	}
	if got := selectedName(m); got != "lb" {
		t.Fatalf("selected %q, want lb (worst first)", got)
	}
	press(m, "j")
	if got := selectedName(m); got != "solo" {
		t.Errorf("j from lb selects %q, want solo: address lines are not rows", got)
	}
	press(m, "k", "enter")
	if s := screen(m); !strings.Contains(s, "Addresses (2)") || !strings.Contains(s, "2001:db8::2 serial bbbb0002bbbb0002") {
		t.Errorf("detail pane does not list the addresses:\n%s", s)
	}
}

// A failing endpoint the scheduler backs off from says so, and when it
// will be tried again, rather than silently going stale.
func TestBackingOffEndpointSaysWhenItIsTriedAgain(t *testing.T) {
	m, _ := newTestModel(t, 160, 30, false)
	m.Update(eventsMsg{events: []model.Event{
		failed("stall", model.ErrTimeout, "no answer within 5s during the TLS handshake"),
		model.ProbeBackoff{Endpoint: "stall", Failures: 3, Next: fixedNow.Add(4 * time.Minute)},
	}})
	if s := screen(m); !strings.Contains(s, "backing off, next try in 4m") {
		t.Fatalf("no backoff on the stall row:\n%s", s)
	}
	m.Update(eventsMsg{events: []model.Event{obs("stall", cert("stall.example.com", "dd", 60*24*time.Hour))}})
	if s := screen(m); strings.Contains(s, "backing off") {
		t.Fatalf("backoff still shown after a successful probe:\n%s", s)
	}
}
