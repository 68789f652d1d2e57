package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"certdeck/rotate"

	tea "charm.land/bubbletea/v2"
)

// quits reports whether cmd is, or batches, tea.Quit. A command that
// does not answer at once (a tick) is taken as not quitting.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	if reflect.ValueOf(cmd).Pointer() == reflect.ValueOf(tea.Quit).Pointer() {
		return true
	}
	got := make(chan tea.Msg, 1)
	go func() { got <- cmd() }()
	select {
	case msg := <-got:
		switch msg := msg.(type) {
		case tea.QuitMsg:
			return true
		case tea.BatchMsg:
			for _, c := range msg {
				if quits(c) {
					return true
				}
			}
		}
	case <-time.After(200 * time.Millisecond):
	}
	return false
}

// runningPublish is P on app (on_verify_fail: rollback) with app2's
// verification held, once app1 is verified: v0003 is current, and a
// cancel leaves it so.
func runningPublish(t *testing.T) (*fixFixture, *Model, <-chan tea.Msg) {
	t.Helper()
	fx := newFixFixture(t, true)
	m := fx.console(120, 40, false)
	release := fx.served.hold("app2")
	t.Cleanup(func() {
		// The action must end before the test's temp dirs go: it writes
		// its store and audit line there.
		release()
		for deadline := time.Now().Add(10 * time.Second); len(fx.engine.Registry().Snapshot()) > 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
	})
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	msgs := runAsync(press(m, "y"))
	pumpUntil(t, m, "P verifying, app1 done", func(s string) bool { return strings.Contains(s, "▶ publish app: verifying 1/2") })
	return fx, m, msgs
}

// TestQuitWhileAPublishRunsAsksThenReportsWhatItLeft: the tester's
// stray q during P quit at once, exit 0, the publish abandoned
// unverified. Now q (and :q) ask, saying what runs, since when and what
// a cancel leaves; any other key keeps the console and the action; y
// cancels it, waits for its outcome and only then quits, and what it
// left (v0003 current, not verified: b rolls back) is in the report
// the CLI prints.
func TestQuitWhileAPublishRunsAsksThenReportsWhatItLeft(t *testing.T) {
	fx, m, msgs := runningPublish(t)
	if cmd := press(m, "q"); quits(cmd) || m.mode != modeConfirm {
		t.Fatalf("q while P runs: quit %v, mode %v", quits(cmd), m.mode)
	}
	s := screen(m)
	for _, want := range []string{"publish app is running (since 12:00:00): verifying 1/2",
		"quit anyway? it is cancelled and left as v0003 current, not verified (b rolls back to v0002)", "Quit (y)   (y/N)"} {
		if !strings.Contains(s, want) {
			t.Errorf("the quit question does not say %q:\n%s", want, s)
		}
	}
	press(m, "q") // a second stray q: no
	if m.mode != modeNormal || m.flash != "not quitting: 1 action keeps running" || !strings.Contains(screen(m), "▶ publish app") {
		t.Fatalf("q in the question: mode %v, flash %q:\n%s", m.mode, m.flash, screen(m))
	}
	typeLine(m, "q")
	if cmd := press(m, "enter"); quits(cmd) || m.mode != modeConfirm {
		t.Fatalf(":q while P runs: quit %v, mode %v", quits(cmd), m.mode)
	}
	if cmd := press(m, "y"); quits(cmd) || m.quitting == nil {
		t.Fatalf("y quit before the outcome landed (quitting %v)", m.quitting != nil)
	}
	if f := lastLine(screen(m)); !strings.Contains(f, "quitting: cancelled, waiting up to 10s for 1 action") || !strings.Contains(f, "ctrl+c quits now") {
		t.Errorf("footer while waiting: %q", f)
	}
	if cmd := press(m, "x"); cmd != nil || m.mode != modeNormal {
		t.Errorf("x while quitting did something (mode %v)", m.mode)
	}
	_, cmd := m.Update(receive[fixDoneMsg](t, msgs))
	if !quits(cmd) {
		t.Fatal("the cancelled action's outcome landed, and the console did not quit")
	}
	r := m.QuitReport()
	if r == nil || len(r.Outcomes) != 1 || r.Outcomes[0].State != rotate.OutcomeCancelled || len(r.Unfinished) != 0 {
		t.Fatalf("report %+v", r)
	}
	last := r.Lines[len(r.Lines)-1]
	if !strings.HasPrefix(last, "publish app: cancelled by you: v0003 is current, 1/2 verified (app2 ") || !strings.HasSuffix(last, "; b rolls back to v0002") {
		t.Errorf("the report's result line %q", last)
	}
	if got := current(t, fx.store.BundleDir("app")); got != "v0003" {
		t.Errorf("current %s, want v0003 (the cancel rolls nothing back)", got)
	}
}

// TestCtrlCAsksOnceThenQuitsAndASecondWaitIsForced: while P runs,
// ctrl+c asks like q; ctrl+c again answers it (cancel and wait); a
// third quits without waiting, and the report says the outcome is not
// known. With nothing running ctrl+c and q still quit at once.
func TestCtrlCAsksOnceThenQuitsAndASecondWaitIsForced(t *testing.T) {
	_, m, _ := runningPublish(t)
	if cmd := press(m, "ctrl+c"); quits(cmd) || m.mode != modeConfirm || !m.confirm.quit {
		t.Fatalf("the first ctrl+c while P runs: quit %v, mode %v", quits(cmd), m.mode)
	}
	if cmd := press(m, "ctrl+c"); quits(cmd) || m.quitting == nil {
		t.Fatalf("the second ctrl+c: quit %v before any outcome, quitting %v", quits(cmd), m.quitting != nil)
	}
	if cmd := press(m, "ctrl+c"); !quits(cmd) {
		t.Fatal("ctrl+c while waiting for the outcome did not quit")
	}
	r := m.QuitReport()
	if r == nil || len(r.Unfinished) != 1 || !strings.Contains(r.Lines[0], "publish app: cancelled, but it said nothing within 10s: what it left is not known") {
		t.Fatalf("report %+v", r)
	}
}

// TestQuitWaitIsBounded: an action that does not answer its cancel does
// not hold the console open past quitWait.
func TestQuitWaitIsBounded(t *testing.T) {
	_, m, _ := runningPublish(t)
	typeLine(m, "q!")
	press(m, "enter")
	if m.quitting == nil || m.mode != modeNormal {
		t.Fatalf(":q! while P runs: quitting %v, mode %v", m.quitting != nil, m.mode)
	}
	if _, cmd := m.Update(quitTimeoutMsg{}); !quits(cmd) {
		t.Fatal("the end of the wait did not quit")
	}
	if r := m.QuitReport(); r == nil || len(r.Unfinished)+len(r.Outcomes) != 1 {
		t.Fatalf("report %+v", r)
	}
}

// TestQuitAtOnceWhenNothingRuns: the question is only for actions in
// flight; a finished action leaves nothing to report.
func TestQuitAtOnceWhenNothingRuns(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	fixDialog(t, fx, m)
	deliver(t, m, press(m, "y"))
	for _, k := range []string{"q", "ctrl+c"} {
		if !quits(press(m, k)) {
			t.Errorf("%s after the action ended did not quit", k)
		}
	}
	if m.QuitReport() != nil {
		t.Error("a report with nothing cancelled")
	}
}

// TestQuitQuestionOnTheTooSmallScreen: under 60x15 only "terminal too
// small" shows, and q still asks (in words there) while P runs.
func TestQuitQuestionOnTheTooSmallScreen(t *testing.T) {
	_, m, _ := runningPublish(t)
	m.Update(tea.WindowSizeMsg{Width: 50, Height: 12})
	if cmd := press(m, "q"); quits(cmd) || !strings.Contains(strings.Join(strings.Fields(screen(m)), " "), "1 action runs: y quits (cancelling what runs), any other key keeps the console") {
		t.Fatalf("q on the too-small screen while P runs: quit %v:\n%s", quits(cmd), screen(m))
	}
	press(m, "n")
	if m.mode != modeNormal || m.quitting != nil || !strings.Contains(screen(m), "q quits") {
		t.Fatalf("n on the too-small question: mode %v:\n%s", m.mode, screen(m))
	}
}
