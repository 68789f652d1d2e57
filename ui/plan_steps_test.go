package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/rotate"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// TestFixDialogNamesEachReloadAndItsEndpointsWithTheArgvOnce: two nginx
// servers reloaded by the same program showed as two "exec nginx argv:
// nginx -s reload … — run nginx -s reload … without a shell" lines, the
// argv twice in each and no word of which server. Each step now names
// its reload and the endpoints it is for, and says its argv once.
func TestFixDialogNamesEachReloadAndItsEndpointsWithTheArgvOnce(t *testing.T) {
	f, err := model.ParseFleet([]byte(`version: 1
name: two-nginx
reloads:
  - name: nginx-a
    exec: ["nginx", "-s", "reload", "-c", "/etc/nginx/a.conf"]
  - name: nginx-b
    exec: ["nginx", "-s", "reload", "-c", "/etc/nginx/b.conf"]
endpoints:
  - {name: a1, address: 127.0.0.1:4441, reload: nginx-a}
  - {name: a2, address: 127.0.0.1:4442, reload: nginx-a}
  - {name: b1, address: 127.0.0.1:4443, reload: nginx-b}
`), "two.yaml")
	if err != nil {
		t.Fatal(err)
	}
	theme, _ := themes.Builtin(themes.ANSI)
	e := rotate.NewEngine(rotate.EngineOptions{Fleet: f, Verifier: newFakeServed()})
	m := New(Options{Fleet: f, Engine: e, Prober: &fakeProber{}, Theme: theme, ThemeDecided: true,
		Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	press(m, "space", "space", "space")
	deliver(t, m, press(m, "x"))
	s := screen(m)
	for _, want := range []string{
		"exec      nginx-a for a1, a2: argv: nginx -s reload -c /etc/nginx/a.conf — without a shell in /, timeout 30s",
		"exec      nginx-b for b1: argv: nginx -s reload -c /etc/nginx/b.conf — without a shell in /, timeout 30s",
	} {
		if m.mode != modeConfirm || !strings.Contains(s, want) {
			t.Errorf("the x dialog has no step %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "run nginx") {
		t.Errorf("a step still says its argv twice:\n%s", s)
	}
}

// TestTicketDialogNamesEachMembersReloadOnce: a pool rotation reloads
// one member per step: the step names the reload, its phase and the
// member, and the argv once.
func TestTicketDialogNamesEachMembersReloadOnce(t *testing.T) {
	fx := newTicketFixture(t, false)
	m := fx.console(160, 40, false)
	tabToTickets(t, m)
	deliver(t, m, press(m, "t"))
	s := screen(m)
	for _, want := range []string{"exec      pool-nginx (phase 1, pool-1): argv: nginx -s reload",
		"exec      pool-nginx (phase 2, pool-3): argv: nginx -s reload"} {
		if !strings.Contains(s, want) {
			t.Errorf("the t dialog has no step %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "run nginx") {
		t.Errorf("a step says its argv twice:\n%s", s)
	}
}
