package ui

import (
	"strings"
	"testing"
	"time"
)

// TestActionLinesCarryTheTimeOfTheirStep: the tester's log said
// "published api" at the action's end, 11 s after the publish. P on app
// with app2's verification held: the publish, the reload and app1's
// verification land while the console's clock reads 12:00:05, app2's
// and the result at 12:00:20; each line carries its own time, in order.
func TestActionLinesCarryTheTimeOfTheirStep(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(160, 40, false)
	clock := &fakeClock{now: fixedNow}
	m.ctx.Now = clock.Now
	release := fx.served.hold("app2")
	defer release()
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	clock.mu.Lock()
	clock.now = fixedNow.Add(5 * time.Second)
	clock.mu.Unlock()
	msgs := runAsync(press(m, "y"))
	pumpUntil(t, m, "app1 verified", func(s string) bool { return strings.Contains(s, "verifying 1/2") })
	// The registry counts app1 a moment before its report reaches the
	// relay: read the reports a little longer at 12:00:05.
	for range 20 {
		time.Sleep(5 * time.Millisecond)
		m.Update(progressMsg{})
	}
	clock.mu.Lock()
	clock.now = fixedNow.Add(20 * time.Second)
	clock.mu.Unlock()
	release()
	m.Update(receive[fixDoneMsg](t, msgs))
	var log []string
	for i := range m.ring.Len() {
		if c := m.ring.At(i); c.Subject == "app" && c.Message != "" {
			log = append(log, c.Time.Format(time.TimeOnly)+" "+c.Message)
		}
	}
	got := strings.Join(log, "\n")
	for _, want := range []string{
		"12:00:05 published app: v0003",
		"12:00:05 reload app-nginx (exec): ok",
		"12:00:05 app1: verified",
		"12:00:20 app2: verified",
		"12:00:20 publish app: verified: 2/2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the event log has no line %q:\n%s", want, got)
		}
	}
	if i, j := strings.Index(got, "12:00:20 app2: verified"), strings.Index(got, "12:00:20 publish app: verified"); i > j {
		t.Errorf("the result is not the last line:\n%s", got)
	}
}
