package ui

import (
	"strings"
	"testing"
)

// TestCutErrorFlashPointsToTheEventLogWhereItIsWhole: a refusal wider
// than the terminal (the tester's, whose fix was at its end) is cut in
// the footer with a pointer to the event log, and l shows it whole.
func TestCutErrorFlashPointsToTheEventLogWhereItIsWhole(t *testing.T) {
	for _, w := range []int{60, 80, 120} {
		fx := newFixFixture(t, true)
		m := fx.console(w, 24, false)
		typeLine(m, "rollback app v0009")
		deliver(t, m, press(m, "enter"))
		if !m.flashErr || !strings.HasSuffix(m.flash, "(have [v0001 v0002])") {
			t.Fatalf("%d columns: flash %q, want the refusal naming the versions", w, m.flash)
		}
		foot := strings.TrimRight(lastLine(screen(m)), " ")
		switch {
		case w >= len(m.flash):
			if foot != m.flash {
				t.Errorf("%d columns: a flash that fits is shown as %q", w, foot)
			}
		case !strings.HasSuffix(foot, "… (l: full text)") && !strings.HasSuffix(foot, "… (l: full text · esc dismisses)"):
			t.Errorf("%d columns: the cut flash %q does not point to the event log", w, foot)
		}
		press(m, "l")
		log := strings.Join(strings.Fields(screen(m)), " ")
		if !strings.Contains(log, "error rollback app: plan rollback app: refused: no such version: v0009 is not a version of this bundle (have [v0001 v0002])") {
			t.Errorf("%d columns: the event log does not hold the refusal whole:\n%s", w, screen(m))
		}
	}
}

// TestShortErrorFlashIsLoggedOnceAndNotCut: an error that fits keeps
// its "(esc dismisses)" and no pointer; an action's failure that the
// event log already holds as its result line is not logged twice.
func TestShortErrorFlashIsLoggedOnceAndNotCut(t *testing.T) {
	fx := newFixFixture(t, true)
	m := fx.console(120, 24, false)
	typeLine(m, "publish")
	press(m, "enter")
	if foot := lastLine(screen(m)); !strings.Contains(foot, ":publish needs one BUNDLE  (esc dismisses)") || strings.Contains(foot, "l: full text") {
		t.Errorf("footer %q", foot)
	}
	if got := m.ring.At(m.ring.Len() - 1).Message; got != ":publish needs one BUNDLE" {
		t.Errorf("the event log's newest line is %q", got)
	}

	fx = newFixFixture(t, true)
	fx.effect = false // the publish is not served, the rollback does not verify: the alarm
	m = fx.console(120, 40, false)
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	deliver(t, m, press(m, "y"))
	n, last := 0, m.ring.At(m.ring.Len()-1).Message
	for i := range m.ring.Len() {
		if m.ring.At(i).Message == last {
			n++
		}
	}
	if !strings.Contains(last, "ROLLBACK FAILED") || n != 1 {
		t.Errorf("the result %q is in the event log %d times, want once", last, n)
	}
}

// TestBusyRefusalIsKeptWholeInTheEventLog: the refusal of a second
// action on a busy bundle names the holder and since when; it reaches
// the event log whole.
func TestBusyRefusalIsKeptWholeInTheEventLog(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(80, 40, false)
	release := fx.served.hold("app2")
	defer release()
	fixDialog(t, fx, m)
	first := runAsync(press(m, "y"))
	pumpUntil(t, m, "the first action running", func(s string) bool { return strings.Contains(s, "▶ reload") })
	press(m, "x")
	want := "is busy: reload of app1, app2 has been running since 12:00:00; try again when it has finished"
	if !strings.HasSuffix(m.flash, want) || !strings.Contains(lastLine(screen(m)), "(l: full text)") {
		t.Fatalf("flash %q, footer %q", m.flash, lastLine(screen(m)))
	}
	if got := m.ring.At(m.ring.Len() - 1).Message; got != m.flash {
		t.Errorf("the event log's newest line is %q, want the refusal %q", got, m.flash)
	}
	release()
	m.Update(receive[fixDoneMsg](t, first))
}
