package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"

	tea "charm.land/bubbletea/v2"
)

// runAsync runs a command the way the program does (each of a batch on
// its own goroutine) and delivers the messages on a channel.
func runAsync(cmd tea.Cmd) <-chan tea.Msg {
	out := make(chan tea.Msg, 16)
	var run func(tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			switch msg := c().(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					run(c)
				}
			case nil:
			default:
				out <- msg
			}
		}()
	}
	run(cmd)
	return out
}

// receive waits for the next message of type T from msgs.
func receive[T any](t *testing.T, msgs <-chan tea.Msg) T {
	t.Helper()
	for {
		select {
		case msg := <-msgs:
			if v, ok := msg.(T); ok {
				return v
			}
		case <-time.After(10 * time.Second):
			var zero T
			t.Fatalf("no %T arrived", zero)
			return zero
		}
	}
}

// pumpUntil delivers progress to the console (what the relay does) until
// ok holds for the screen.
func pumpUntil(t *testing.T, m *Model, what string, ok func(string) bool) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		m.Update(progressMsg{})
		if s := screen(m); ok(s) {
			return s
		}
	}
	t.Fatalf("the screen never showed %s:\n%s", what, screen(m))
	return ""
}

// fixDialog marks both endpoints, presses x and delivers the plan.
func fixDialog(t *testing.T, fx *fixFixture, m *Model) {
	t.Helper()
	press(m, "space", "space")
	deliver(t, m, press(m, "x"))
	if m.mode != modeConfirm {
		t.Fatalf("x on two marked endpoints opened no dialog (flash %q):\n%s", m.flash, screen(m))
	}
}

// TestFixDialogShowsTheExactArgvAndOldToNewSerials: x on the marked
// endpoints asks first, showing what the engine will run (the argv as
// configured), what each endpoint serves now and should serve after, and
// how it is verified.
func TestFixDialogShowsTheExactArgvAndOldToNewSerials(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	fixDialog(t, fx, m)
	checkGolden(t, "fix_dialog_120x40", screen(m))
	s := screen(m)
	for _, want := range []string{"argv: nginx -s reload", "app1: " + fx.serial(fx.old) + " → " + fx.serial(fx.cur),
		"app2: " + fx.serial(fx.old) + " → " + fx.serial(fx.cur), "verify    app1 (127.0.0.1:4431) serves " + fx.serial(fx.cur)} {
		if !strings.Contains(s, want) {
			t.Errorf("the dialog does not show %q", want)
		}
	}
	if fx.reloads() != 0 {
		t.Fatal("the reload ran before y")
	}
}

// TestAnyKeyButYCancelsTheFixDialog: Cancel is focused.
func TestAnyKeyButYCancelsTheFixDialog(t *testing.T) {
	for _, k := range []string{"n", "esc", "enter", "x", "Y", "space", "q"} {
		fx := newFixFixture(t, false)
		m := fx.console(120, 40, false)
		fixDialog(t, fx, m)
		runBatch(press(m, k))
		if m.mode != modeNormal || !strings.Contains(m.flash, "reload cancelled") || fx.reloads() != 0 {
			t.Fatalf("%s in the fix dialog: mode %v, flash %q, reloads %d", k, m.mode, m.flash, fx.reloads())
		}
	}
}

// TestFixReloadsShowsProgressAndTheRowsTurnOK: y runs the reload; while
// app2's verification is held, app1's row reads verified (1/2), app2's
// verifying 1/2 and the header what runs and since when; when it lands,
// the flash says every endpoint verified, the event log has the
// outcome, and the probes (as the scheduler delivers them) make the
// rows current.
func TestFixReloadsShowsProgressAndTheRowsTurnOK(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	release := fx.served.hold("app2")
	defer release()
	fixDialog(t, fx, m)
	msgs := runAsync(press(m, "y"))
	s := pumpUntil(t, m, "app1 verified and app2 verifying", func(s string) bool {
		return strings.Contains(s, "verified (1/2)") && strings.Contains(s, "verifying 1/2")
	})
	checkGolden(t, "fix_progress_120x40", s)
	if h := strings.Split(s, "\n")[0]; !strings.Contains(h, "▶ reload app1, app2: verifying 1/2 · since 12:00:00") {
		t.Errorf("header %q does not say what runs and since when", h)
	}
	if r := rowOf(t, m, "app1"); !strings.Contains(r, "verified (1/2)") {
		t.Errorf("app1 row %q", r)
	}
	m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	if h := strings.Split(screen(m), "\n")[0]; !strings.HasSuffix(h, "▶ reload app1…: verifying 1/2 · 0s") {
		t.Errorf("at 60 columns the header %q does not keep what runs and how far", h)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if r := rowOf(t, m, "app2"); !strings.Contains(r, "verifying 1/2") {
		t.Errorf("app2 row %q", r)
	}
	release()
	m.Update(receive[fixDoneMsg](t, msgs))
	fx.observe(m)
	s = screen(m)
	if strings.Contains(s, "verifying") || strings.Contains(s, "▶") {
		t.Fatalf("progress still shown after the outcome:\n%s", s)
	}
	if !strings.Contains(m.flash, "reload app1, app2: verified: 2/2") || m.flashErr {
		t.Errorf("flash %q (error %v)", m.flash, m.flashErr)
	}
	if r := rowOf(t, m, "app1"); !strings.Contains(r, "11ce0002") || strings.Contains(r, "11ce0001") {
		t.Errorf("app1 row %q does not show the new serial", r)
	}
	press(m, "l")
	if ev := screen(m); !strings.Contains(ev, "app1: verified: serves "+fx.serial(fx.cur)) || !strings.Contains(ev, "exec") {
		t.Errorf("the event log lacks the outcome's lines:\n%s", ev)
	}
	if fx.reloads() != 1 {
		t.Errorf("the reload ran %d times, want once", fx.reloads())
	}
}

// TestFixOnADriftingBundle: x on the Bundles tab reloads what the bundle
// serves; on a bundle in sync it says there is nothing to fix.
func TestFixOnADriftingBundle(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	press(m, "tab")
	if r := rowOf(t, m, "app"); !strings.Contains(r, "0/2 in sync") {
		t.Fatalf("app row %q, want both endpoints drifting", r)
	}
	deliver(t, m, press(m, "x"))
	if s := screen(m); m.mode != modeConfirm || !strings.Contains(s, "reload app: endpoints should serve "+fx.serial(fx.cur)) {
		t.Fatalf("x on a drifting bundle (flash %q):\n%s", m.flash, s)
	}
	deliver(t, m, press(m, "y"))
	fx.observe(m)
	if r := rowOf(t, m, "app"); !strings.Contains(r, "2/2 in sync") || !strings.Contains(m.flash, "verified: 2/2") {
		t.Fatalf("after the fix: app row %q, flash %q", r, m.flash)
	}
	if cmd := press(m, "x"); cmd != nil || !strings.Contains(m.flash, "nothing to fix") {
		t.Fatalf("x on a bundle in sync: flash %q", m.flash)
	}
}

// TestPublishReloadThatDoesNotTakeEffectIsRolledBack: P on a bundle with
// on_verify_fail: rollback whose reload leaves the old certificate
// served: the dialog says what a failure does; the publish is verified
// as not served, rolled back (the rows say so while it runs) and the
// previous serial verified; the store is back on v0002.
func TestPublishReloadThatDoesNotTakeEffectIsRolledBack(t *testing.T) {
	fx := newFixFixture(t, true)
	fx.served.set("app1", fx.serial(fx.cur))
	fx.served.set("app2", fx.serial(fx.cur))
	fx.effect = false
	back := make(chan struct{})
	fx.onReload = func(n int) {
		if n == 2 { // the rollback leg's reload
			<-back
		}
	}
	m := fx.console(120, 40, false)
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	s := screen(m)
	for _, want := range []string{"publish app: v0002 → v0003 (serial " + fx.serial(fx.cur) + " → " + fx.serial(fx.fresh) + ")",
		"if verification fails: roll app back to v0002", "argv: nginx -s reload", "Publish + reload (y)"} {
		if m.mode != modeConfirm || !strings.Contains(s, want) {
			t.Fatalf("P dialog does not show %q (flash %q):\n%s", want, m.flash, s)
		}
	}
	msgs := runAsync(press(m, "y"))
	pumpUntil(t, m, "the rollback running", func(s string) bool {
		return strings.Contains(rowOf(t, m, "app"), "rolling back…") && strings.Contains(strings.Split(s, "\n")[0], "rolling back…")
	})
	close(back)
	m.Update(receive[fixDoneMsg](t, msgs))
	if !m.flashErr || !strings.Contains(m.flash, "ROLLED BACK") {
		t.Fatalf("flash %q (error %v), want the rollback said as an error", m.flash, m.flashErr)
	}
	if got := current(t, fx.store.BundleDir("app")); got != "v0002" {
		t.Fatalf("current %s after the rollback, want v0002", got)
	}
	if len(m.alarms) != 0 {
		t.Fatalf("a rollback that verified raised the alarm: %v", m.alarms)
	}
	press(m, "esc", "l")
	if ev := screen(m); !strings.Contains(ev, "automatic rollback") {
		t.Errorf("the event log lacks the rollback leg:\n%s", ev)
	}
}

// TestRollbackThatFailsToVerifyIsTheLoudestError: the endpoints serve
// neither the new serial nor, after the rollback, the previous one: the
// alarm line stays through ticks and keys until esc acknowledges it.
func TestRollbackThatFailsToVerifyIsTheLoudestError(t *testing.T) {
	fx := newFixFixture(t, true)
	fx.effect = false // app1 and app2 keep serving v0001
	m := fx.console(120, 40, false)
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	deliver(t, m, press(m, "y"))
	m.Update(tickMsg(fixedNow.Add(time.Hour)))
	press(m, "j", "k")
	s := screen(m)
	alarm := strings.Join(strings.Split(s, "\n")[3:6], "\n")
	if !strings.Contains(alarm, "✗ publish app: ROLLBACK FAILED") || !strings.Contains(alarm, "esc acknowledges") ||
		!strings.Contains(alarm, "still serving "+fx.serial(fx.old)) {
		t.Fatalf("lines 4-6 are not the whole alarm:\n%s", alarm)
	}
	press(m, "esc")
	if s := screen(m); strings.Contains(s, "esc acknowledges") || !m.flashErr {
		t.Fatalf("esc did not acknowledge the alarm first (the error flash stays):\n%s", s)
	}
	press(m, "esc")
	if m.flash != "" {
		t.Fatalf("the second esc left the flash %q", m.flash)
	}
}

// TestSecondActionOnABusyBundleIsRefused: while x runs on app1 and
// app2, x again is refused at the key, before any plan or dialog, and
// says who holds them and since when.
func TestSecondActionOnABusyBundleIsRefused(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	release := fx.served.hold("app2")
	defer release()
	fixDialog(t, fx, m)
	first := runAsync(press(m, "y"))
	pumpUntil(t, m, "the first action running", func(s string) bool { return strings.Contains(s, "▶ reload") })
	if cmd := press(m, "x"); cmd != nil || m.mode != modeNormal {
		t.Fatalf("second x while the first runs planned or opened a dialog (mode %v, flash %q)", m.mode, m.flash)
	}
	if !strings.Contains(m.flash, "is busy: reload of app1, app2 has been running since 12:00:00") {
		t.Fatalf("second x while the first runs: flash %q", m.flash)
	}
	release()
	m.Update(receive[fixDoneMsg](t, first))
	if fx.reloads() != 1 {
		t.Fatalf("reloads ran %d times, want once", fx.reloads())
	}
}

// TestFixWithoutAReloadConfiguredSaysWhy.
func TestFixWithoutAReloadConfiguredSaysWhy(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	deliver(t, m, press(m, "x"))
	if !m.flashErr || !strings.Contains(m.flash, "no reload configured") {
		t.Fatalf("x on an endpoint with no reload: flash %q", m.flash)
	}
}

// TestReloadCommandRunsTheNamedReload: :reload app plans and asks like x;
// an unknown name is refused by name.
func TestReloadCommandRunsTheNamedReload(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	typeLine(m, "reload app")
	deliver(t, m, press(m, "enter"))
	if m.mode != modeConfirm || !strings.Contains(screen(m), "reload app: endpoints should serve") {
		t.Fatalf(":reload app opened no dialog (flash %q)", m.flash)
	}
	deliver(t, m, press(m, "y"))
	if !strings.Contains(m.flash, "reload app: verified: 2/2") || fx.reloads() != 1 {
		t.Fatalf(":reload app then y: flash %q, reloads %d", m.flash, fx.reloads())
	}
	typeLine(m, "reload nosuch")
	deliver(t, m, press(m, "enter"))
	if !m.flashErr || !strings.Contains(m.flash, "reload nosuch: no bundle or endpoint of that name") {
		t.Fatalf(":reload nosuch: flash %q", m.flash)
	}
}

// TestReadOnlyHasNoFixOrPublishReload: x and P are refused at the
// dispatch point, missing from help and footers; nothing runs.
func TestReadOnlyHasNoFixOrPublishReload(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, true)
	for _, tab := range []bool{false, true} {
		if tab {
			press(m, "tab")
		}
		for _, k := range []string{"x", "P"} {
			if cmd := press(m, k); cmd != nil || m.mode != modeNormal || !strings.Contains(m.flash, "read-only console: "+k) {
				t.Fatalf("%s in read-only mode: mode %v, flash %q", k, m.mode, m.flash)
			}
		}
		m.flash = ""
		if f := lastLine(screen(m)); strings.Contains(f, "reload") || strings.Contains(f, "publish") {
			t.Errorf("read-only footer offers an action: %q", f)
		}
		press(m, "?")
		if h := screen(m); strings.Contains(h, "reload + verify") || strings.Contains(h, "publish + reload") {
			t.Errorf("read-only help lists x or P:\n%s", h)
		}
		press(m, "esc")
	}
	if fx.reloads() != 0 || current(t, fx.store.BundleDir("app")) != "v0002" {
		t.Fatal("a read-only console changed something")
	}
}

// TestCancelCommandStopsTheRunningAction: :cancel ends the held
// verification; the outcome says it was cancelled and nothing shows as
// running.
func TestCancelCommandStopsTheRunningAction(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	release := fx.served.hold("app2")
	defer release()
	fixDialog(t, fx, m)
	msgs := runAsync(press(m, "y"))
	pumpUntil(t, m, "the action running", func(s string) bool { return strings.Contains(s, "▶ reload") })
	typeLine(m, "cancel")
	runBatch(press(m, "enter"))
	m.Update(receive[fixDoneMsg](t, msgs))
	if !m.flashErr || !strings.Contains(m.flash, "cancelled") || strings.Contains(screen(m), "▶") {
		t.Fatalf("after :cancel: flash %q:\n%s", m.flash, screen(m))
	}
}

// TestEveryActionKeyOnABusyBundleRefusesAtOnce: while P runs on app, a
// key or command that would start another action on app or an endpoint
// it serves opens no dialog and plans nothing: the flash says at once
// what runs and since when (the tester's `p` on legacy opened a dialog
// and was refused only at y). Nothing else runs.
func TestEveryActionKeyOnABusyBundleRefusesAtOnce(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	release := fx.served.hold("app2")
	defer release()
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	first := runAsync(press(m, "y"))
	pumpUntil(t, m, "P running", func(s string) bool { return strings.Contains(s, "▶ publish app") })
	busy := "is busy: publish of app has been running since 12:00:00"
	for _, keys := range []string{"p", "b", "P", "x", ":publish app", ":rollback app", ":rollback app v0001",
		":reload app", ":reload app1", "tab x"} {
		var cmd tea.Cmd
		switch {
		case strings.HasPrefix(keys, ":"):
			typeLine(m, keys[1:])
			cmd = press(m, "enter")
		case keys == "tab x": // the Fleet tab: x on app1, which app serves
			for m.section().Name() != "Fleet" {
				press(m, "tab")
			}
			if selectedName(m) != "app1" {
				t.Fatalf("the Fleet tab's cursor is on %q, want app1", selectedName(m))
			}
			cmd = press(m, "x")
		default:
			cmd = press(m, keys)
		}
		if cmd != nil || m.mode != modeNormal || !strings.Contains(m.flash, busy) {
			t.Errorf("%s while P runs on app: command %v, mode %v, flash %q, want %q at once", keys, cmd != nil, m.mode, m.flash, busy)
		}
	}
	release()
	m.Update(receive[fixDoneMsg](t, first))
	if fx.reloads() != 1 {
		t.Fatalf("reloads ran %d times, want once (P's)", fx.reloads())
	}
}

// TestCancelledPublishSaysSoInWordsAndWhatToDo: :cancel during P's
// verification: the outcome says who cancelled it, no Go error text
// ("context canceled"), and ends with what to do: the new version is
// current but not verified, and b rolls back to the one before. The
// event log says the same.
func TestCancelledPublishSaysSoInWordsAndWhatToDo(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(200, 40, false)
	release := fx.served.hold("app2")
	defer release()
	press(m, "tab")
	deliver(t, m, press(m, "P"))
	msgs := runAsync(press(m, "y"))
	// app1 serves the new version at once, app2 is held: cancel once
	// app1 is verified, so the outcome has one of each to tell.
	pumpUntil(t, m, "P verifying, app1 done", func(s string) bool { return strings.Contains(s, "▶ publish app: verifying 1/2") })
	typeLine(m, "cancel")
	runBatch(press(m, "enter"))
	m.Update(receive[fixDoneMsg](t, msgs))
	if !m.flashErr || !strings.HasPrefix(m.flash, "publish app: cancelled by you: v0003 is current, ") || !strings.Contains(m.flash, "1/2 verified (app2 ") ||
		!strings.HasSuffix(m.flash, "; b rolls back to v0002") {
		t.Fatalf("after :cancel during P: flash %q", m.flash)
	}
	checkNoGoErrorText(t, m)
	if ev := m.ring.At(m.ring.Len() - 1).Message; !strings.HasSuffix(ev, "b rolls back to v0002") {
		t.Errorf("the event log's last line %q does not say what to do", ev)
	}
}

// checkNoGoErrorText: neither the flash nor the event log quotes Go's
// error texts.
func checkNoGoErrorText(t *testing.T, m *Model) {
	t.Helper()
	press(m, "l")
	for _, s := range []string{m.flash, screen(m)} {
		if strings.Contains(s, "context canceled") || strings.Contains(s, "context deadline") {
			t.Errorf("Go's error text reached the operator:\n%s", s)
		}
	}
	press(m, "l")
}

// TestBatchFixNamesEveryEndpointWithoutAReload: x on marked endpoints
// none of which has a reload names all of them (the engine stopped at
// the first: "reload refused: no reload configured for it…"); with some
// that have one, the dialog runs those and says which were left out.
func TestBatchFixNamesEveryEndpointWithoutAReload(t *testing.T) {
	m, _ := newTestModel(t, 160, 40, false) // no reloads configured
	press(m, "space", "space", "space")
	marked := rowNames(m)[:3]
	if cmd := press(m, "x"); cmd != nil || m.mode != modeNormal {
		t.Fatalf("x on three endpoints without a reload planned or opened a dialog (flash %q)", m.flash)
	}
	want := "3 marked have no reload configured: " + strings.Join(marked, ", ")
	if !m.flashErr || !strings.HasPrefix(m.flash, want) {
		t.Fatalf("x on %v: flash %q, want it to start %q", marked, m.flash, want)
	}

	fx := newFixFixture(t, false)
	fx.fleet.Endpoints = append(fx.fleet.Endpoints, model.Endpoint{Name: "bare", Address: "127.0.0.1:4433"})
	m = fx.console(120, 40, false)
	press(m, "space", "space", "space")
	deliver(t, m, press(m, "x"))
	if s := screen(m); m.mode != modeConfirm || !strings.Contains(s, "· left out: 1 with no reload configured: bare") ||
		!strings.Contains(s, "reload app1, app2") {
		t.Fatalf("x on app1, app2 and bare (no reload): flash %q:\n%s", m.flash, s)
	}
}

// TestFixOnOneEndpointLeavesItsSiblingsDrift: x on app1 alone. While
// app1's reload is verified, app2 (same bundle, still serving v0001, in
// no action) stays WARN on the Fleet tab and drifting on the bundle's
// row: nothing is proving it fixed.
func TestFixOnOneEndpointLeavesItsSiblingsDrift(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(160, 40, false)
	release := fx.served.hold("app1")
	defer release()
	for selectedName(m) != "app1" {
		press(m, "j")
	}
	deliver(t, m, press(m, "x"))
	if m.mode != modeConfirm {
		t.Fatalf("x on app1 opened no dialog (flash %q)", m.flash)
	}
	msgs := runAsync(press(m, "y"))
	pumpUntil(t, m, "the reload of app1 running", func(s string) bool { return strings.Contains(s, "▶ reload app1") })
	if r := rowOf(t, m, "app2"); !strings.Contains(r, "▲ WARN") || !strings.Contains(r, "serves an older") {
		t.Errorf("app2, in no action, while app1 is verified: %q", r)
	}
	if d := m.state.Bundle("app").Drift[1]; d.Endpoint != "app2" || d.State != model.Drifted {
		t.Errorf("the app bundle says app2 is %v, want drifted", d.State)
	}
	release()
	m.Update(receive[fixDoneMsg](t, msgs))
}
