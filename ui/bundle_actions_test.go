package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// storeConsole is the console over one real store bundle "app" (v0001
// current) whose source holds a newer certificate, on the Bundles tab.
func storeConsole(t *testing.T, readOnly bool) (m *Model, bundleDir string) {
	t.Helper()
	fx := newStoreFixture(t)
	theme, _ := themes.Builtin(themes.ANSI)
	m = New(Options{Fleet: fx.fleet, Theme: theme, ThemeDecided: true, ReadOnly: readOnly})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(eventsMsg{events: probe.BundleEvents(fx.fleet.Bundles, time.Now())})
	press(m, "tab")
	if m.selectedBundle() == nil {
		t.Fatal("no bundle selected on the Bundles tab")
	}
	return m, fx.store.BundleDir("app")
}

// storeFixture is a real store bundle "app" (v0001 current) whose
// source: holds a newer certificate, and the fleet that configures it.
type storeFixture struct {
	fleet *model.Fleet
	store *rotate.Store
	ca    *pki.CA
}

func newStoreFixture(t *testing.T) storeFixture {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // the audit log
	dir := t.TempDir()
	ca := pki.Must(pki.NewCA("test root"))
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	old := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}}))
	store := &rotate.Store{Dir: filepath.Join(dir, "store"), Roots: ca.Pool(), AuditLog: "-"}
	if _, err := store.Publish("app", rotate.Inputs{Fullchain: old.FullchainPEM(), Key: old.KeyPEM()}); err != nil {
		t.Fatal(err)
	}
	staging := filepath.Join(dir, "staging")
	fresh := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}}))
	if err := os.Mkdir(staging, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(staging, "fullchain.pem"), fresh.FullchainPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(staging, "privkey.pem"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(fresh.KeyPEM())
	f.Close()
	cfg := &model.Config{Bundles: []model.BundleConfig{{Name: "app", Path: store.BundleDir("app"), Layout: "store", CA: caFile, Source: staging}}}
	fleet, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	return storeFixture{fleet: fleet, store: store, ca: ca}
}

func current(t *testing.T, bundleDir string) string {
	t.Helper()
	v, err := os.Readlink(filepath.Join(bundleDir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// deliver runs a Cmd (I/O happens here, as in the program) and feeds its
// message back to Update.
func deliver(t *testing.T, m *Model, cmd tea.Cmd) tea.Cmd {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command to run")
	}
	_, next := m.Update(cmd())
	return next
}

func TestPublishDialogYesPublishesAndChangesCurrent(t *testing.T) {
	m, dir := storeConsole(t, false)
	if got := current(t, dir); got != "v0001" {
		t.Fatalf("current %s before publish, want v0001", got)
	}
	deliver(t, m, press(m, "p"))
	if m.mode != modeConfirm || !strings.Contains(screen(m), "v0001 → v0002") || !strings.Contains(screen(m), "(y/N)") {
		t.Fatalf("no dialog showing v0001 → v0002:\n%s", screen(m))
	}
	if got := current(t, dir); got != "v0001" {
		t.Fatalf("current moved to %s before y was pressed", got)
	}
	deliver(t, m, press(m, "y"))
	if got := current(t, dir); got != "v0002" {
		t.Fatalf("current %s after y, want v0002", got)
	}
	if !strings.Contains(m.flash, "published app: v0001") || m.flashErr {
		t.Errorf("flash %q (error %v), want an info flash naming the publish", m.flash, m.flashErr)
	}
	if m.ring.Len() == 0 || m.ring.At(m.ring.Len()-1).Kind != model.ChangeAction {
		t.Error("no action entry in the event log")
	}
	// b rolls back to the version before.
	deliver(t, m, press(m, "b"))
	deliver(t, m, press(m, "y"))
	if got := current(t, dir); got != "v0001" {
		t.Fatalf("current %s after rollback, want v0001", got)
	}
}

func TestAnyKeyButYCancelsTheDialog(t *testing.T) {
	for _, k := range []string{"n", "esc", "enter", "q", "Y", "space"} {
		t.Run(k, func(t *testing.T) {
			m, dir := storeConsole(t, false)
			deliver(t, m, press(m, "p"))
			if m.mode != modeConfirm {
				t.Fatalf("no dialog: flash %q", m.flash)
			}
			if cmd := press(m, k); cmd != nil {
				if _, quit := cmd().(tea.QuitMsg); quit {
					t.Fatalf("%s quit instead of cancelling", k)
				}
				cmd()
			}
			if m.mode != modeNormal || !strings.Contains(m.flash, "cancelled") {
				t.Fatalf("after %s: mode %v flash %q, want cancelled", k, m.mode, m.flash)
			}
			if got := current(t, dir); got != "v0001" {
				t.Fatalf("%s published: current %s", k, got)
			}
		})
	}
}

func TestReadOnlyHasNoPublishOrRollback(t *testing.T) {
	m, dir := storeConsole(t, true)
	press(m, "?")
	help := screen(m)
	if strings.Contains(help, "publish") || strings.Contains(help, "roll back") {
		t.Fatalf("read-only help lists mutating keys:\n%s", help)
	}
	press(m, "esc")
	for _, k := range []string{"p", "b"} {
		if cmd := press(m, k); cmd != nil {
			t.Fatalf("%s in read-only mode returned a command", k)
		}
		if m.mode != modeNormal {
			t.Fatalf("%s in read-only mode opened mode %v", k, m.mode)
		}
	}
	if got := current(t, dir); got != "v0001" {
		t.Fatalf("read-only console changed current to %s", got)
	}
	// Even a plan that reached the action path is refused by the store.
	p := planPublish(m.selectedBundle().Bundle, true).(planMsg)
	if p.err != nil {
		t.Fatalf("plan on a read-only store: %v", p.err)
	}
	if done := runAction(p, true).(actionDoneMsg); done.err == nil {
		t.Fatal("read-only store published")
	}
}

func TestRefusedPublishErrorStaysUntilEsc(t *testing.T) {
	m, _ := storeConsole(t, false)
	m.Update(actionDoneMsg{action: "publish", bundle: m.selectedBundle().Bundle, err: rotate.ErrReadOnly})
	m.Update(tickMsg(time.Now().Add(time.Hour)))
	if !m.flashErr || !strings.Contains(screen(m), "publish app failed") {
		t.Fatalf("error flash gone after a tick:\n%s", screen(m))
	}
	press(m, "esc")
	if m.flash != "" {
		t.Fatalf("esc did not acknowledge the error: %q", m.flash)
	}
}

func TestPublishDialogMatchesGolden(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	b := m.selectedBundle().Bundle
	m.Update(planMsg{action: "publish", bundle: b, serial: "7777777777777777", lines: []string{
		"Publish shopcert from /srv/staging/shop",
		"version  v0004 → v0005",
		"serial   2c3d4e5f → 77777777",
		"expires  2026-03-30 → 2026-06-03",
		"names    +shop2.example.com −www.example.com",
	}})
	checkGolden(t, "publish_dialog_120x40", screen(m))
}

func TestPublishWorksFromTheBundleDetailPane(t *testing.T) {
	m, _ := storeConsole(t, false)
	press(m, "enter")
	if m.mode != modeDetail {
		t.Fatalf("enter on a bundle opened mode %v, want detail", m.mode)
	}
	deliver(t, m, press(m, "p"))
	if m.mode != modeConfirm {
		t.Fatalf("p in the detail pane: mode %v flash %q, want the dialog", m.mode, m.flash)
	}
}
