package ui

import (
	"strings"
	"testing"
	"time"
)

// TestRunningActionShowsInHeaderAndAffectedRows: while a reload of
// shopcert verifies, the header says what runs and since when, the
// bundle's row says "verifying 1/2", and each serving endpoint's row its
// own state; when the action ends the rows read as before.
func TestRunningActionShowsInHeaderAndAffectedRows(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	before := screen(m)
	m.ctx.Actions.start(1, "reload", "shopcert", true, []string{"shop", "www"}, fixedNow.Add(-12*time.Second))
	m.Update(progressMsg{reports: []actionProgress{
		{ID: 1, Subject: "shopcert", Target: "shop", Phase: phaseVerified, Done: 1, Total: 2},
		{ID: 1, Subject: "shopcert", Target: "www", Phase: phaseVerifying, Done: 1, Total: 2},
	}})
	checkGolden(t, "inflight_120x40", screen(m))
	if h := strings.Split(screen(m), "\n")[0]; !strings.Contains(h, "▶ reload shopcert: verifying 1/2 · since 11:59:48 (12s)") {
		t.Fatalf("header %q does not say what runs and since when", h)
	}
	press(m, "tab")
	if r := rowOf(t, m, "shop"); !strings.Contains(r, "verified (1/2)") {
		t.Errorf("shop row %q, want verified (1/2)", r)
	}
	if r := rowOf(t, m, "www"); !strings.Contains(r, "verifying 1/2") {
		t.Errorf("www row %q, want verifying 1/2", r)
	}
	press(m, "tab")
	m.ctx.Actions.end(1)
	if got := screen(m); got != before {
		t.Fatalf("after the action ended the screen differs from before it:\n%s", got)
	}
}

// TestProgressAfterTheEndIsDropped: a late callback cannot resurrect an
// action whose result has landed.
func TestProgressAfterTheEndIsDropped(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	m.ctx.Actions.start(1, "reload", "shopcert", true, []string{"shop", "www"}, fixedNow)
	m.ctx.Actions.end(1)
	m.Update(progressMsg{reports: []actionProgress{{ID: 1, Target: "shop", Phase: phaseVerifying, Done: 0, Total: 2}}})
	if s := screen(m); strings.Contains(s, "verifying") || strings.Contains(s, "▶") {
		t.Fatalf("an ended action shows again:\n%s", s)
	}
}

// TestProgressRelayNeverBlocksTheEngine: with nobody reading, reports
// return at once, and the next read gets the latest per target.
func TestProgressRelayNeverBlocksTheEngine(t *testing.T) {
	r := newProgressRelay()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10_000 {
			r.report(actionProgress{ID: 1, Target: "shop", Phase: phaseVerifying, Done: i % 2, Total: 2})
			r.report(actionProgress{ID: 1, Target: "www", Phase: phaseVerifying, Done: i, Total: 10_000})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("report blocked with no reader")
	}
	msg := r.wait(nil)().(progressMsg)
	if len(msg.reports) != 2 || msg.reports[1].Done != 9_999 {
		t.Fatalf("gathered %+v, want the latest report of each target", msg.reports)
	}
}
