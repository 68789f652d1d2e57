package ui

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/probe/probetest"
	"certdeck/rotate"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// storeConsole is the console over one real store bundle "app" (v0001
// current) whose source holds a newer certificate, on the Bundles tab.
func storeConsole(t *testing.T, readOnly bool) (m *Model, bundleDir string) {
	t.Helper()
	return storeConsoleOf(t, newStoreFixture(t), Options{ReadOnly: readOnly})
}

// storeConsoleOf is the console over fx with opts (Fleet and Theme set
// here), on the Bundles tab.
func storeConsoleOf(t *testing.T, fx storeFixture, opts Options) (m *Model, bundleDir string) {
	t.Helper()
	opts.Fleet = fx.fleet
	opts.Theme, _ = themes.Builtin(themes.ANSI)
	opts.ThemeDecided = true
	m = New(opts)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(eventsMsg{events: probe.BundleEvents(fx.fleet.Bundles, time.Now())})
	// A bundles-only console opens on its Bundles tab.
	if m.selectedBundle() == nil {
		t.Fatalf("no bundle selected on the first screen:\n%s", screen(m))
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
	ca := pki.Must(pki.NewCA("test root"))
	old := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}}))
	fresh := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}}))
	return storeFixtureOf(t, ca, old, fresh)
}

// storeFixtureOf publishes old as v0001 of "app" and stages fresh as its
// source:.
func storeFixtureOf(t *testing.T, ca *pki.CA, old, fresh *pki.Leaf) storeFixture {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // the audit log
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	store := &rotate.Store{Dir: filepath.Join(dir, "store"), Roots: ca.Pool(), AuditLog: "-"}
	if _, err := store.Publish(t.Context(), "app", rotate.Inputs{Fullchain: old.FullchainPEM(), Key: old.KeyPEM()}); err != nil {
		t.Fatal(err)
	}
	staging := filepath.Join(dir, "staging")
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
	ro := rotate.NewEngine(rotate.EngineOptions{Fleet: m.opts.Fleet, ReadOnly: true, Store: rotate.StoreOptions{AuditLog: "-"}})
	p := planPublish(t.Context(), ro, m.selectedBundle().Bundle)
	if p.err != nil {
		t.Fatalf("plan on a read-only store: %v", p.err)
	}
	if done := runAction(t.Context(), ro, p, nil).(actionDoneMsg); !errors.Is(done.err, rotate.ErrReadOnly) {
		t.Fatalf("read-only engine ran the publish: %v", done.err)
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

// sequentialLeaves are two certificates whose serials differ only in the
// last digit, as openssl -CAcreateserial issues them: an 8-digit prefix
// shows the same number twice. fresh expires 60 days before old.
func sequentialLeaves(t *testing.T) (ca *pki.CA, old, fresh *pki.Leaf) {
	t.Helper()
	ca = pki.Must(pki.NewCA("test root"))
	now := time.Now()
	old = pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}, Serial: big.NewInt(0x3218fde16e),
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)}))
	fresh = pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}, Serial: big.NewInt(0x3218fde16f),
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour)}))
	return ca, old, fresh
}

func TestPublishDialogShowsFullSerialsAndFlagsAShorterExpiry(t *testing.T) {
	ca, old, fresh := sequentialLeaves(t)
	m, dir := storeConsoleOf(t, storeFixtureOf(t, ca, old, fresh), Options{})
	deliver(t, m, press(m, "p"))
	if m.mode != modeConfirm {
		t.Fatalf("no dialog for a shorter certificate: flash %q", m.flash)
	}
	s := screen(m)
	for _, want := range []string{"3218fde16e", "3218fde16f", "WARN expires 60 days sooner than the current version"} {
		if !strings.Contains(s, want) {
			t.Errorf("dialog does not show %q:\n%s", want, s)
		}
	}
	// y confirms what the dialog flagged.
	deliver(t, m, press(m, "y"))
	if got := current(t, dir); got != "v0002" {
		t.Fatalf("current %s after y on a flagged dialog (flash %q), want v0002", got, m.flash)
	}
	if !strings.Contains(m.flash, "v0001 3218fde16e → v0002 3218fde16f") {
		t.Errorf("flash %q does not name both full serials", m.flash)
	}
	if ev := m.ring.At(m.ring.Len() - 1); !strings.Contains(ev.Message, "3218fde16e") || !strings.Contains(ev.Message, "3218fde16f") {
		t.Errorf("event %q does not name both full serials", ev.Message)
	}
}

func TestRepublishingTheCurrentCertificateSaysAlreadyCurrent(t *testing.T) {
	ca := pki.Must(pki.NewCA("test root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}}))
	m, dir := storeConsoleOf(t, storeFixtureOf(t, ca, leaf, leaf), Options{})
	deliver(t, m, press(m, "p"))
	if m.mode != modeConfirm || !strings.Contains(screen(m), "already current") {
		t.Fatalf("dialog does not say the source is already current (flash %q):\n%s", m.flash, screen(m))
	}
	deliver(t, m, press(m, "y"))
	if got := current(t, dir); got != "v0001" {
		t.Fatalf("current %s, want v0001", got)
	}
	if vs, _ := os.ReadDir(dir); len(vs) != 3 { // .lock current v0001
		t.Fatalf("an identical republish made entries: %v", vs)
	}
	if !strings.Contains(m.flash, "already current v0001") || m.flashErr {
		t.Fatalf("flash %q (error %v), want already current v0001", m.flash, m.flashErr)
	}
}

// TestConsoleStoreOptionsReachTheStore: the audit log and clock the
// program chose (the demo sends its lines nowhere) are what the console's
// publish uses; nothing is written where $XDG_STATE_HOME points.
func TestConsoleStoreOptionsReachTheStore(t *testing.T) {
	fx := newStoreFixture(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	audit := filepath.Join(t.TempDir(), "audit.log")
	stamp := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Second).UTC() // inside the certificates' validity
	m, _ := storeConsoleOf(t, fx, Options{Store: rotate.StoreOptions{AuditLog: audit, Clock: func() time.Time { return stamp }}})
	deliver(t, m, press(m, "p"))
	if m.mode != modeConfirm {
		t.Fatalf("no dialog: %q", m.flash)
	}
	deliver(t, m, press(m, "y"))
	if !strings.Contains(m.flash, "published app") {
		t.Fatalf("publish did not happen: %q", m.flash)
	}
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatalf("no audit line where Options.Store said: %v", err)
	}
	var e rotate.AuditEntry
	if err := json.Unmarshal(b, &e); err != nil || !e.Time.Equal(stamp) || e.Action != "publish" {
		t.Fatalf("audit line %s (%v), want one publish stamped by the options' clock", b, err)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Fatalf("the console wrote to $XDG_STATE_HOME: %v", entries)
	}
}

// TestRefusalQuotingAHostileCertificateReachesTheScreenSanitised: the
// source is signed by an authority whose name carries an OSC and a bidi
// override; the refusal quotes it, and the screen must show it escaped.
func TestRefusalQuotingAHostileCertificateReachesTheScreenSanitised(t *testing.T) {
	ca := pki.Must(pki.NewCA("test root"))
	old := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}}))
	stranger := pki.Must(pki.NewCA("evil\x1b]0;pwned\a\u202egnp.test"))
	alien := pki.Must(stranger.Issue(pki.Options{DNSNames: []string{"app.test"}}))
	m, _ := storeConsoleOf(t, storeFixtureOf(t, ca, old, alien), Options{})
	deliver(t, m, press(m, "p"))
	if !m.flashErr || !strings.Contains(m.flash, "unknown authority") {
		t.Fatalf("flash %q, want the unknown-authority refusal", m.flash)
	}
	if strings.ContainsAny(m.flash+screen(m), "\x1b\a\u202e") {
		t.Fatalf("raw escapes on screen: %q", m.flash)
	}
	if !strings.Contains(m.flash, `\u202e`) {
		t.Errorf("the bidi override is not shown visibly: %q", m.flash)
	}
}

// servedStoreFixture is the store fixture whose bundle "app" is served by
// a Go TLS server on rotate.Reloader (it follows `current` without a
// restart), and a console whose engine verifies with a real prober.
func servedStoreConsole(t *testing.T, audit string) (*Model, storeFixture, string) {
	t.Helper()
	fx := newStoreFixture(t)
	rl, err := rotate.NewReloader(fx.store.BundleDir("app"), rotate.ReloaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rl.Close() })
	srv := probetest.StartTLSServer(t, &tls.Config{GetCertificate: rl.GetCertificate})
	b := fx.fleet.Bundles[0]
	cfg := &model.Config{
		Endpoints: []model.EndpointConfig{{Name: "app.test", Address: srv.Addr, SNI: "app.test", CA: b.CAFile}},
		Bundles:   []model.BundleConfig{{Name: "app", Path: b.Path, Layout: "store", CA: b.CAFile, Source: b.Source, Serves: []string{"app.test"}}},
	}
	fleet, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	fx.fleet = fleet
	e := rotate.NewEngine(rotate.EngineOptions{Fleet: fleet, Verifier: probe.NewServedProber(fleet, probe.ProbeOptions{}),
		Store: rotate.StoreOptions{AuditLog: audit}})
	opts := Options{Fleet: fleet, Engine: e, ThemeDecided: true}
	opts.Theme, _ = themes.Builtin(themes.ANSI)
	m := New(opts)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(eventsMsg{events: probe.BundleEvents(fleet.Bundles, time.Now())})
	press(m, "tab") // the console opens on its endpoints
	if m.selectedBundle() == nil {
		t.Fatalf("no bundle selected on the Bundles tab:\n%s", screen(m))
	}
	return m, fx, fx.store.BundleDir("app")
}

// p runs on the engine: after the publish it proves by handshake that the
// serving endpoint presents the new serial, says so in the flash, and
// writes the verification into the audit line.
func TestConsolePublishIsVerifiedByHandshakeThroughTheEngine(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.log")
	m, _, dir := servedStoreConsole(t, audit)
	deliver(t, m, press(m, "p"))
	s := screen(m)
	if m.mode != modeConfirm || !strings.Contains(s, "verify    app.test") {
		t.Fatalf("the dialog does not say what is verified (flash %q):\n%s", m.flash, s)
	}
	deliver(t, m, press(m, "y"))
	if got := current(t, dir); got != "v0002" {
		t.Fatalf("current %s, want v0002 (flash %q)", got, m.flash)
	}
	if m.flashErr || !strings.Contains(m.flash, "verified: 1/1 endpoint serves") {
		t.Fatalf("flash %q (error %v), want the verification", m.flash, m.flashErr)
	}
	line, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	var e rotate.AuditEntry
	if err := json.Unmarshal(line, &e); err != nil || len(e.Verify) != 1 || e.Verify[0].State != rotate.EndpointVerified || e.NewVersion != "v0002" {
		t.Fatalf("audit %s (%v), want the publish with app.test verified", line, err)
	}
}

// Two actions never race on one bundle: while a publish of app holds it
// (here waiting for another writer's lock), p is refused at once, with
// no dialog, by a message naming what runs, and nothing changes.
func TestConsolePublishOnABusyBundleIsRefused(t *testing.T) {
	m, fx, dir := servedStoreConsole(t, "-")
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	first, err := m.opts.Engine.Publish(rotate.PublishRequest{Bundle: "app"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		first.Run(t.Context(), nil)
	}()
	for len(m.opts.Engine.Registry().Snapshot()) == 0 {
		time.Sleep(time.Millisecond)
	}
	if cmd := press(m, "p"); cmd != nil || m.mode != modeNormal {
		t.Fatalf("p on a busy bundle planned or opened a dialog (mode %v, flash %q)", m.mode, m.flash)
	}
	if !strings.Contains(m.flash, "bundle app is busy: publish of app has been running since") {
		t.Fatalf("flash %q, want the busy refusal", m.flash)
	}
	syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	<-done
	if got := current(t, dir); got != "v0002" {
		t.Fatalf("current %s: the first publish should have made v0002 and the refused one nothing", got)
	}
	_ = fx
}

// TestRollbackDialogFlagsAnEarlierExpiry: b and :rollback flag a version
// that expires sooner than current as p does, with the same words, and
// in the WARN colour (the glyph and the word are in the text too).
func TestRollbackDialogFlagsAnEarlierExpiry(t *testing.T) {
	ca, later, sooner := sequentialLeaves(t) // sooner expires 60 days before later
	for _, keys := range [][]string{{"b"}, {":rollback", "rollback app v0001"}} {
		t.Run(keys[0], func(t *testing.T) {
			m, dir := storeConsoleOf(t, storeFixtureOf(t, ca, sooner, later), Options{})
			deliver(t, m, press(m, "p"))
			deliver(t, m, press(m, "y"))
			if got := current(t, dir); got != "v0002" {
				t.Fatalf("current %s after publishing the later certificate (flash %q)", got, m.flash)
			}
			if keys[0] == "b" {
				deliver(t, m, press(m, "b"))
			} else {
				typeLine(m, keys[1])
				deliver(t, m, press(m, "enter"))
			}
			s := screen(m)
			if m.mode != modeConfirm || !strings.Contains(s, "version  v0002 → v0001") {
				t.Fatalf("no rollback dialog (flash %q):\n%s", m.flash, s)
			}
			flag := "▲ WARN expires 60 days sooner than the current version"
			if !strings.Contains(s, flag) {
				t.Fatalf("the rollback dialog does not flag the earlier expiry:\n%s", s)
			}
			warn := strings.SplitN(m.ctx.Styles.Warn.Render("X"), "X", 2)[0]
			if warn == "" || !strings.Contains(m.View().Content, warn+flag) {
				t.Errorf("the flag is not drawn in the WARN colour (%q)", warn)
			}
			deliver(t, m, press(m, "y"))
			if got := current(t, dir); got != "v0001" {
				t.Fatalf("current %s after y on the flagged rollback (flash %q)", got, m.flash)
			}
		})
	}
}
