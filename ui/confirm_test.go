package ui

import (
	"fmt"
	"strings"
	"testing"

	"certdeck/model"
)

// withMoreEndpoints makes the fixture's bundle serve app3…appN too, so
// its plans are taller than an 80x24 screen.
func withMoreEndpoints(fx *fixFixture, n int) {
	for i := 3; i <= n; i++ {
		name := fmt.Sprintf("app%d", i)
		fx.fleet.Endpoints = append(fx.fleet.Endpoints, model.Endpoint{Name: name, Address: fmt.Sprintf("127.0.0.1:%d", 4430+i)})
		fx.fleet.Bundles[0].Serves = append(fx.fleet.Bundles[0].Serves, name)
	}
}

// TestDialogScrollsALongPlanWithoutCancelling: at 80x24 the P dialog of
// a bundle serving six endpoints does not fit. j/k, the arrows,
// pgup/pgdn and home/end scroll it (the tester's j cancelled it), the
// box's edge says which lines show, and the y/N line stays; the last
// line of the plan can be reached; any other key still cancels.
func TestDialogScrollsALongPlanWithoutCancelling(t *testing.T) {
	fx := newFixFixture(t, true)
	withMoreEndpoints(fx, 6)
	m := fx.console(80, 24, false)
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	s := screen(m)
	if m.mode != modeConfirm || !strings.Contains(s, "lines 1–") || !strings.Contains(s, "(y/N)") {
		t.Fatalf("the P dialog at 80x24 does not say it scrolls, or lost its y/N line:\n%s", s)
	}
	if strings.Contains(s, "more lines") || strings.Contains(s, "verify its serial") {
		t.Fatalf("the plan's last line shows before scrolling, or the plan was cut:\n%s", s)
	}
	if f := lastLine(s); !strings.Contains(f, "scroll") {
		t.Errorf("the footer %q does not name the scroll keys", f)
	}
	for _, k := range []string{"j", "down", "pgdown", "k", "up", "pgup", "end"} {
		press(m, k)
		if m.mode != modeConfirm {
			t.Fatalf("%s cancelled the dialog (flash %q)", k, m.flash)
		}
		if s := screen(m); !strings.Contains(s, "(y/N)") || !strings.Contains(s, "Publish, reload, then verify") {
			t.Fatalf("after %s the y/N line or the title is gone:\n%s", k, s)
		}
	}
	if s := screen(m); !strings.Contains(s, "verify its serial") || strings.Contains(s, "lines 1–") {
		t.Fatalf("end does not show the plan's last line:\n%s", s)
	}
	press(m, "home")
	if s := screen(m); !strings.Contains(s, "lines 1–") {
		t.Fatalf("home does not go back to the top:\n%s", s)
	}
	press(m, "x")
	if m.mode != modeNormal || !strings.Contains(m.flash, "publish + reload cancelled") || fx.reloads() != 0 {
		t.Fatalf("x in a scrolled dialog: mode %v, flash %q, reloads %d", m.mode, m.flash, fx.reloads())
	}
}

// TestDialogKeepsItsAnswerLineAtEverySize: from the smallest usable
// terminal up, the dialog's buttons and y/N show.
func TestDialogKeepsItsAnswerLineAtEverySize(t *testing.T) {
	for _, size := range [][2]int{{60, 15}, {80, 24}, {100, 30}, {120, 40}, {200, 60}} {
		fx := newFixFixture(t, true)
		withMoreEndpoints(fx, 6)
		m := fx.console(size[0], size[1], false)
		press(m, "tab")
		deliver(t, m, press(m, "P"))
		for range 40 {
			s := screen(m)
			if !strings.Contains(s, "[ Cancel ]   Publish + reload (y)   (y/N)") {
				t.Fatalf("%dx%d: no y/N line:\n%s", size[0], size[1], s)
			}
			if n := strings.Count(s, "\n") + 1; n != size[1] {
				t.Fatalf("%dx%d: the screen has %d lines", size[0], size[1], n)
			}
			press(m, "j")
		}
		if !strings.Contains(screen(m), "verify its serial") {
			t.Errorf("%dx%d: j never reached the plan's last line:\n%s", size[0], size[1], screen(m))
		}
	}
}

// TestScrolledFixDialogGolden pins the x dialog over six endpoints at
// 80x24, scrolled two lines down.
func TestScrolledFixDialogGolden(t *testing.T) {
	fx := newFixFixture(t, false)
	withMoreEndpoints(fx, 6)
	m := fx.console(80, 24, false)
	for range 6 {
		press(m, "space")
	}
	deliver(t, m, press(m, "x"))
	press(m, "j", "j")
	checkGolden(t, "fix_dialog_scrolled_80x24", screen(m))
}

// TestDialogTitleWraps: the ticket rotation's title, wider than a 160
// column screen, is wrapped, not cut.
func TestDialogTitleWraps(t *testing.T) {
	fx := newTicketFixture(t, false)
	m := fx.console(160, 40, false)
	tabToTickets(t, m)
	deliver(t, m, press(m, "t"))
	s := strings.Join(strings.Fields(screen(m)), " ")
	if !strings.Contains(s, "phase 1 confirms every member holds the next │ │ key, phase 2 promotes it") {
		t.Fatalf("the title is cut:\n%s", screen(m))
	}
}
