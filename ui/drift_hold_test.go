package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe"
)

// midActionDrift is P on app while both endpoints serve v0002 (in
// sync): the publish switches to v0003, and before app2's reload is
// verified the watcher's read of the bundle and a probe of app2 (still
// on v0002) reach the console, as a scheduled probe did for the tester.
// It returns once P has landed, with the event log's messages.
func midActionDrift(t *testing.T, fx *fixFixture) (*Model, func() string) {
	t.Helper()
	fx.served.set("app1", fx.serial(fx.cur))
	fx.served.set("app2", fx.serial(fx.cur))
	m := fx.console(160, 40, false)
	release := fx.served.hold("app2")
	defer release()
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	msgs := runAsync(press(m, "y"))
	pumpUntil(t, m, "P verifying", func(s string) bool { return strings.Contains(s, "▶ publish app: verifying") })
	app2 := obs("app2", cert("app.test", fx.serial(fx.cur), 80*24*time.Hour), func(o *model.Observation) { o.Time = fixedNow.Add(time.Second) })
	m.Update(eventsMsg{events: append(probe.BundleEvents(fx.fleet.Bundles, fixedNow), app2)})
	log := func() string {
		var lines []string
		for i := range m.ring.Len() {
			lines = append(lines, m.ring.At(i).Message)
		}
		return strings.Join(lines, "\n")
	}
	if l := log(); strings.Contains(l, "reload needed") {
		t.Fatalf("while P runs on app, the event log says what P is doing needs doing:\n%s", l)
	}
	release()
	m.Update(receive[fixDoneMsg](t, msgs))
	return m, log
}

// TestNoDriftLineForWhatARunningActionCovers: the tester's log said
// "api serves serial …, not the bundle's …: reload needed" while
// certdeck ran that reload. While P runs, no drift line about app or
// the endpoints it serves; when P verified them, none afterwards either.
func TestNoDriftLineForWhatARunningActionCovers(t *testing.T) {
	fx := newFixFixture(t, false)
	m, log := midActionDrift(t, fx)
	fx.observe(m)
	if l := log(); strings.Contains(l, "reload needed") || !strings.Contains(l, "publish app: verified: 2/2") {
		t.Fatalf("after P verified app1 and app2:\n%s", l)
	}
}

// TestDriftStillTrueAfterTheActionIsLoggedThen: a publish whose reload
// does not take effect ends not verified; the drift held back while it
// ran is still true, and is logged once it has ended, after its lines.
func TestDriftStillTrueAfterTheActionIsLoggedThen(t *testing.T) {
	fx := newFixFixture(t, false)
	fx.effect = false
	_, log := midActionDrift(t, fx)
	l := log()
	res, drift := strings.Index(l, "publish app: NOT VERIFIED"), strings.Index(l, "serves serial "+fx.serial(fx.cur)+", not the bundle's "+fx.serial(fx.fresh)+": reload needed (")
	if res < 0 || drift < res {
		t.Fatalf("the drift still true after P is not logged after its result:\n%s", l)
	}
}
