package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"
)

// TestFixDialogWarnsWhenTheReloadServesAnOlderCertificate: the
// endpoints serve a certificate issued after the bundle's and expiring
// later ("serves a newer certificate … bundle app on disk is behind");
// x on the bundle would reload them onto the older one. The dialog says
// so per endpoint with the same ▲ WARN flag p, P and b show for a
// version that expires sooner; a reload onto a newer certificate has
// no flag.
func TestFixDialogWarnsWhenTheReloadServesAnOlderCertificate(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(200, 40, false)
	bundle := m.state.Bundle("app").Leaf()
	newer := cert("app.test", "0a11ce0009", 0)
	newer.NotBefore, newer.NotAfter = bundle.NotBefore.Add(24*time.Hour), bundle.NotAfter.Add(10*24*time.Hour)
	m.Update(eventsMsg{events: []model.Event{obs("app1", newer), obs("app2", newer)}})
	press(m, "tab")
	if r := rowOf(t, m, "app"); !strings.Contains(r, "0/2 in sync") {
		t.Fatalf("app row %q, want both endpoints drifting", r)
	}
	deliver(t, m, press(m, "x"))
	s := screen(m)
	if m.mode != modeConfirm {
		t.Fatalf("x on app opened no dialog (flash %q)", m.flash)
	}
	for _, ep := range []string{"app1", "app2"} {
		want := "▲ WARN " + ep + " serves a newer certificate than bundle app holds (bundle app on disk is behind): the reload makes it serve one that expires 10 days sooner"
		if !strings.Contains(s, want) {
			t.Errorf("the x dialog does not warn %q:\n%s", want, s)
		}
	}
	press(m, "esc")

	fx = newFixFixture(t, false) // the endpoints serve v0001, older than the bundle
	m = fx.console(200, 40, false)
	press(m, "tab")
	deliver(t, m, press(m, "x"))
	if s := screen(m); m.mode != modeConfirm || strings.Contains(s, "▲ WARN app") {
		t.Fatalf("a reload onto the bundle's newer certificate is flagged:\n%s", s)
	}
}

// TestOneDaySoonerIsOneDay: the flag of a certificate that expires a
// day and a few hours sooner says "1 day", not "1 days".
func TestOneDaySoonerIsOneDay(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(240, 40, false)
	bundle := m.state.Bundle("app").Leaf()
	newer := cert("app.test", "0a11ce0009", 0)
	newer.NotBefore, newer.NotAfter = bundle.NotBefore.Add(time.Hour), bundle.NotAfter.Add(30*time.Hour)
	m.Update(eventsMsg{events: []model.Event{obs("app1", newer), obs("app2", newer)}})
	press(m, "tab")
	deliver(t, m, press(m, "x"))
	if s := screen(m); !strings.Contains(s, "expires 1 day sooner") || strings.Contains(s, "1 days") {
		t.Fatalf("the flag does not say 1 day:\n%s", s)
	}
}
