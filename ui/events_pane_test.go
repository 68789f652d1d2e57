package ui

import (
	"fmt"
	"strings"
	"testing"

	"certdeck/model"
)

// TestEventLogWrapsLongLinesKeepingSerialsWhole: an event longer than the
// pane wraps on words, its continuation indented, so both full serials
// and the rest of the message show, at 100 and at 200 columns; the newest
// event stays on the pane's last line, and j/k still step whole events.
func TestEventLogWrapsLongLinesKeepingSerialsWhole(t *testing.T) {
	const old, want = "414c66c79419356cf856d65e7af91485", "11e6cd38520b84c74a781e83645ea974"
	long := "not verified: web2.demo.test: still serving " + old + " (want " + want +
		") after 5.00s of probing with backoff, the last handshake at 127.0.0.1:34851; the reload ran and exited 0, " +
		"so the server re-read something else: check which files its configuration names"
	for _, w := range []int{100, 200} {
		m, _ := newTestModel(t, w, 30, false)
		m.ring.Add(model.Change{Time: fixedNow, Subject: "web", Kind: model.ChangeAction, Message: long})
		m.ring.Add(model.Change{Time: fixedNow, Subject: "api", Kind: model.ChangeStatus, Message: "the latest change"})
		press(m, "l")
		lines := strings.Split(screen(m), "\n")
		start := -1
		for i, l := range lines {
			if strings.Contains(l, " web ") && strings.Contains(l, "not verified") {
				start = i
			}
		}
		if start < 0 {
			t.Fatalf("%d columns: the long event is not on screen:\n%s", w, screen(m))
		}
		var text []string
		for _, l := range lines[start:] {
			if strings.Contains(l, "the latest change") {
				break
			}
			text = append(text, strings.TrimSpace(l))
			if len(text) > 1 && !strings.HasPrefix(l, "         ") {
				t.Errorf("%d columns: continuation line not indented: %q", w, l)
			}
			if width(l) > w {
				t.Errorf("%d columns: line wider than the pane: %q", w, l)
			}
		}
		if len(text) < 2 {
			t.Errorf("%d columns: the long event did not wrap: %q", w, lines[start])
		}
		joined := strings.Join(text, " ")
		for _, whole := range []string{old, want, "after 5.00s", "check which files its configuration names"} {
			if !strings.Contains(joined, whole) {
				t.Errorf("%d columns: the event log does not show %q whole:\n%s", w, whole, strings.Join(text, "\n"))
			}
		}
		if strings.Contains(joined, "…") {
			t.Errorf("%d columns: the event is cut with …:\n%s", w, strings.Join(text, "\n"))
		}
		// The newest event comes right after the long one.
		if l := lines[start+len(text)]; !strings.Contains(l, " api ") || !strings.Contains(l, "the latest change") {
			t.Errorf("%d columns: the newest event does not follow the wrapped one: %q", w, l)
		}
		press(m, "k")
		if s := screen(m); strings.Contains(s, "the latest change") || !strings.Contains(s, want) {
			t.Errorf("%d columns: k does not step back one whole event:\n%s", w, s)
		}
	}
}

// g goes to the oldest event: it is on the pane's first line and the
// events after it fill the pane, not a single line above blank rows.
func TestEventLogOldestFillsThePane(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, false)
	for i := range 40 {
		m.ring.Add(model.Change{Time: fixedNow, Subject: "web", Kind: model.ChangeStatus, Message: fmt.Sprintf("event number %02d", i)})
	}
	press(m, "l")
	press(m, "g")
	s := screen(m)
	first, last := strings.Index(s, "event number 00"), strings.Index(s, "event number 01")
	if first < 0 || last < first {
		t.Fatalf("after g the oldest events are not on screen in order:\n%s", s)
	}
	shown := strings.Count(s, "event number ")
	if shown < 5 {
		t.Fatalf("after g only %d events show:\n%s", shown, s)
	}
}
