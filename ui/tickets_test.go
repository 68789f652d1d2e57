package ui

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// ticketFixture is the console over a real key dir shared by pool-1..3
// (pool-3 still on what is now the dir's previous key), on the real
// action engine with fake reloads (a reload makes its member encrypt with
// the dir's current key) and a fake verifier.
type ticketFixture struct {
	t       *testing.T
	fleet   *model.Fleet
	dir     *rotate.TicketDir
	engine  *rotate.Engine
	mu      sync.Mutex
	encrypt map[string]string // what each member encrypts with
	// gate, when set, holds every reload until it is closed.
	gate chan struct{}
}

const ticketFleetYAML = `version: 1
name: tickettest
reloads:
  - name: pool-nginx
    exec: ["nginx", "-s", "reload"]
endpoints:
  - {name: pool-1, address: 127.0.0.1:4441}
  - {name: pool-2, address: 127.0.0.1:4442}
  - {name: pool-3, address: 127.0.0.1:4443}
ticket_keys:
  - {name: pool-tickets, dir: DIR, format: nginx80, rotate_every: 12h, ticket_lifetime: 5m, serves: [pool-1, pool-2, pool-3], reload: pool-nginx}
`

func newTicketFixture(t *testing.T, readOnly bool) *ticketFixture {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	fx := &ticketFixture{t: t, encrypt: map[string]string{}}
	// The keys were made and rotated an hour before the console's clock.
	fx.dir = &rotate.TicketDir{Dir: filepath.Join(t.TempDir(), "keys"), Format: model.TicketNginx80,
		Clock: func() time.Time { return fixedNow.Add(-time.Hour) }}
	if _, err := fx.dir.Init(context.Background(), rotate.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	before := fx.keys()
	if _, err := fx.dir.Rotate(context.Background(), rotate.RotateOptions{}); err != nil {
		t.Fatal(err)
	}
	now := fx.keys()
	fx.encrypt = map[string]string{"pool-1": now.Current.Name(), "pool-2": now.Current.Name(), "pool-3": before.Current.Name()}
	f, err := model.ParseFleet([]byte(strings.ReplaceAll(ticketFleetYAML, "DIR", fx.dir.Dir)), "tickettest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fx.fleet = f
	fx.engine = rotate.NewEngine(rotate.EngineOptions{Fleet: f, ReadOnly: readOnly, Verifier: fx,
		Store:         rotate.StoreOptions{AuditLog: filepath.Join(t.TempDir(), "audit.log"), Clock: func() time.Time { return fixedNow }},
		VerifyTimeout: time.Second,
		MakeReload: func(r model.Reload, _ func(context.Context) ([]byte, error)) (rotate.Reload, error) {
			return ticketReload{name: r.Name, run: fx.reload}, nil
		}})
	return fx
}

// ticketReload is a configured reload with the fixture's effect.
type ticketReload struct {
	name string
	run  func(context.Context) rotate.ReloadResult
}

func (r ticketReload) Name() string { return r.name }
func (r ticketReload) Steps() []rotate.Step {
	return []rotate.Step{{Kind: "exec", Target: "nginx", Argv: []string{"nginx", "-s", "reload"}, Detail: "run nginx -s reload"}}
}
func (r ticketReload) Run(ctx context.Context) rotate.ReloadResult { return r.run(ctx) }

func (fx *ticketFixture) keys() model.TicketKeySet {
	set, _ := rotate.LoadTicketDir(fx.dir.Dir, fx.dir.Format, time.Now())
	return set
}

// reload: every member now encrypts with the dir's current key.
func (fx *ticketFixture) reload(ctx context.Context) rotate.ReloadResult {
	fx.mu.Lock()
	gate := fx.gate
	fx.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return rotate.ReloadResult{Err: ctx.Err()}
		}
	}
	cur := fx.keys().Current.Name()
	fx.mu.Lock()
	defer fx.mu.Unlock()
	for ep := range fx.encrypt {
		fx.encrypt[ep] = cur
	}
	return rotate.ReloadResult{}
}

func (fx *ticketFixture) ServedSerial(context.Context, string) (string, error) {
	return "", errors.New("certificates are not this fixture's business")
}

func (fx *ticketFixture) ServedTicketKey(_ context.Context, ep string) (string, error) {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return fx.encrypt[ep], nil
}

// console is the fixture's console after one round of observations and a
// read of the key dir.
func (fx *ticketFixture) console(w, h int, readOnly bool) *Model {
	theme, _ := themes.Builtin(themes.ANSI)
	m := New(Options{Fleet: fx.fleet, Engine: fx.engine, Theme: theme, ThemeDecided: true, ReadOnly: readOnly,
		Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	fx.observe(m)
	return m
}

func (fx *ticketFixture) observe(m *Model) {
	var events []model.Event
	fx.mu.Lock()
	for _, ep := range []string{"pool-1", "pool-2", "pool-3"} {
		o := obs(ep, cert("pool.example.com", "0a0b0c0d", 60*24*time.Hour))
		o.Ticket = model.TicketInfo{Issued: true, Kind: model.TicketNamed, KeyName: fx.encrypt[ep], ResumeChecked: true, Resumed: true}
		events = append(events, o)
	}
	fx.mu.Unlock()
	events = append(events, probe.ReadTicketDir(fx.fleet.TicketKeys[0], fixedNow))
	m.Update(eventsMsg{events: events})
}

// tabToTickets moves to the Ticket keys tab.
func tabToTickets(t *testing.T, m *Model) {
	t.Helper()
	for range len(m.sections) {
		if m.section().Name() == "Ticket keys" {
			return
		}
		press(m, "tab")
	}
	t.Fatalf("no Ticket keys tab: %v", m.sections)
}

func TestTicketKeysTabShowsPoolSyncAndTheOddMember(t *testing.T) {
	fx := newTicketFixture(t, false)
	m := fx.console(160, 70, false)
	set := fx.keys()
	s := screen(m)
	if !strings.Contains(s, "Ticket keys 1 ▲1 WARN") {
		t.Fatalf("no Ticket keys tab with its count:\n%s", s)
	}
	// The Fleet tab shows the odd member, WARN, with its reason.
	if !strings.Contains(s, "▲ WARN    pool-3") {
		t.Fatalf("pool-3 does not stand out on the Fleet tab:\n%s", s)
	}
	tabToTickets(t, m)
	s = screen(m)
	for _, want := range []string{"pool-tickets", "nginx80", "2/3 in sync", model.SerialTail(set.Current.Name(), minSerialDigits), "1h", "in 11h"} {
		if !strings.Contains(s, want) {
			t.Errorf("Ticket keys tab lacks %q:\n%s", want, s)
		}
	}
	press(m, "enter")
	s = screen(m)
	for _, want := range []string{"Keys (3)", "current", "encrypts", "decrypt-only (previous)", "Pool 2/3 on the current key",
		"pool-3", "previous", "pool-3 encrypts with the previous key of pool-tickets"} {
		if !strings.Contains(s, want) {
			t.Errorf("detail lacks %q:\n%s", want, s)
		}
	}
	for _, k := range []model.TicketKey{set.Current, set.Next, set.Previous} {
		if strings.Contains(s, string(k.AESKey().Bytes())) {
			t.Fatal("the screen carries key bytes")
		}
	}
}

func TestTRotatesTheTicketKeysThroughTheDialog(t *testing.T) {
	fx := newTicketFixture(t, false)
	m := fx.console(160, 40, false)
	before := fx.keys()
	tabToTickets(t, m)
	msgs := runAsync(press(m, "t"))
	m.Update(receive[fixPlannedMsg](t, msgs))
	s := screen(m)
	for _, want := range []string{"Rotate the session-ticket keys of pool-tickets", "ticket-rotate pool-tickets: encrypts with " + model.ShortKeyName(before.Current.Name()) + " → " + model.ShortKeyName(before.Next.Name()),
		"phase 1, pool-1", "phase 2: previous.key ← current.key", "ticket    pool-3: encrypts with " + model.ShortKeyName(before.Previous.Name()) + " → " + model.ShortKeyName(before.Next.Name()),
		"(y/N)"} {
		if !strings.Contains(s, want) {
			t.Errorf("dialog lacks %q:\n%s", want, s)
		}
	}
	if after := fx.keys(); !after.Current.SameKey(before.Current) {
		t.Fatal("the dialog rotated the keys before y")
	}
	msgs = runAsync(press(m, "y"))
	done := receive[fixDoneMsg](t, msgs)
	m.Update(done)
	if !done.out.OK() {
		t.Fatalf("outcome %+v", done.out)
	}
	if after := fx.keys(); !after.Current.SameKey(before.Next) {
		t.Fatal("y did not promote the next key")
	}
	if s := screen(m); !strings.Contains(s, "ticket-rotate pool-tickets: verified: 3/3 members encrypt with "+model.ShortKeyName(before.Next.Name())) {
		t.Fatalf("no result flash:\n%s", s)
	}
	fx.observe(m)
	if s := screen(m); !strings.Contains(s, "3/3 in sync") {
		t.Fatalf("after the rotation the pool is not 3/3:\n%s", s)
	}
}

func TestReadOnlyConsoleCannotRotateTicketKeys(t *testing.T) {
	fx := newTicketFixture(t, true)
	m := fx.console(160, 40, true)
	tabToTickets(t, m)
	before := fx.keys()
	if cmd := press(m, "t"); cmd != nil {
		t.Fatal("t returned work in read-only mode")
	}
	if s := screen(m); !strings.Contains(s, "read-only console: t (rotate ticket keys) is disabled") || strings.Contains(s, "rotate ticket keys •") {
		t.Fatalf("read-only t:\n%s", s)
	}
	if after := fx.keys(); !after.Current.SameKey(before.Current) {
		t.Fatal("read-only t rotated the keys")
	}
}

// TestTOnARotationThatRunsRefusesAtOnce: while a rotation of
// pool-tickets runs (its first reload held), t and :rotate-tickets on it
// plan nothing and open no dialog: the flash says what runs and since
// when.
func TestTOnARotationThatRunsRefusesAtOnce(t *testing.T) {
	fx := newTicketFixture(t, false)
	gate := make(chan struct{})
	fx.gate = gate
	m := fx.console(160, 40, false)
	tabToTickets(t, m)
	m.Update(receive[fixPlannedMsg](t, runAsync(press(m, "t"))))
	first := runAsync(press(m, "y"))
	pumpUntil(t, m, "the rotation running", func(s string) bool { return strings.Contains(s, "▶ ticket-rotate pool-tickets") })
	busy := regexp.MustCompile(`ticket_keys pool-tickets is busy: ticket-rotate of pool-tickets has been running since \d\d:\d\d:\d\d`)
	for _, keys := range []string{"t", ":rotate-tickets pool-tickets"} {
		var cmd tea.Cmd
		if strings.HasPrefix(keys, ":") {
			typeLine(m, keys[1:])
			cmd = press(m, "enter")
		} else {
			cmd = press(m, keys)
		}
		if cmd != nil || m.mode != modeNormal || !busy.MatchString(m.flash) {
			t.Errorf("%s while the rotation runs: command %v, mode %v, flash %q, want %s at once", keys, cmd != nil, m.mode, m.flash, busy)
		}
	}
	close(gate)
	m.Update(receive[fixDoneMsg](t, first))
}
