package ui

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// The console over a real store bundle "app" (v0001, then v0002 current,
// a newer certificate in its source:) served by app1 and app2, both
// still on v0001 (they drift: x's case), reloaded by
// "app-nginx" (the real exec kind's plan, a fake run), on the real
// action engine with a fake verifier and a fake clock. The console's
// rows come from observations the test applies, at fixedNow, so screens
// are stable; the engine works on the real store.
type fixFixture struct {
	t      *testing.T
	fleet  *model.Fleet
	store  *rotate.Store
	engine *rotate.Engine
	old    *pki.Leaf // v0001, what the endpoints serve
	cur    *pki.Leaf // v0002, current
	fresh  *pki.Leaf // the source
	served *fakeServed
	// effect says whether a reload makes its endpoints serve the store's
	// current version (false: it "succeeds" without effect).
	mu     sync.Mutex
	effect bool
	ran    int
	// onReload, when set, runs at the start of each reload (n counts
	// them from 1): a test holds the rollback leg's reload there.
	onReload func(n int)
}

const fixFleetYAML = `version: 1
name: fixtest
reloads:
  - name: app-nginx
    exec: ["nginx", "-s", "reload"]
endpoints:
  - name: app1
    address: 127.0.0.1:4431
  - name: app2
    address: 127.0.0.1:4432
bundles:
  - name: app
    path: STORE/app
    layout: store
    ca: CAFILE
    source: SOURCE
    serves: [app1, app2]
    reload: app-nginx
ONFAIL
`

// Fixed serials: the screens name them.
var oldSerial, curSerial, freshSerial = big.NewInt(0x0a11ce0001), big.NewInt(0x0a11ce0002), big.NewInt(0x0a11ce0003)

func newFixFixture(t *testing.T, rollback bool) *fixFixture {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	ca := pki.Must(pki.NewCA("fix test root"))
	now := time.Now()
	leaf := func(serial *big.Int) *pki.Leaf {
		return pki.Must(ca.Issue(pki.Options{DNSNames: []string{"app.test"}, Serial: serial,
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)}))
	}
	fx := &fixFixture{t: t, old: leaf(oldSerial), cur: leaf(curSerial), fresh: leaf(freshSerial), served: newFakeServed(), effect: true}
	caFile := filepath.Join(dir, "ca.pem")
	writeFile(t, caFile, ca.RootPEM(), 0o644)
	source := filepath.Join(dir, "source")
	if err := os.Mkdir(source, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(source, "fullchain.pem"), fx.fresh.FullchainPEM(), 0o644)
	writeFile(t, filepath.Join(source, "privkey.pem"), fx.fresh.KeyPEM(), 0o600)
	fx.store = &rotate.Store{Dir: filepath.Join(dir, "store"), Roots: ca.Pool(), AuditLog: "-"}
	for _, l := range []*pki.Leaf{fx.old, fx.cur} {
		if _, err := fx.store.Publish(t.Context(), "app", rotate.Inputs{Fullchain: l.FullchainPEM(), Key: l.KeyPEM()}); err != nil {
			t.Fatal(err)
		}
	}
	onFail := ""
	if rollback {
		onFail = "    on_verify_fail: rollback"
	}
	yaml := strings.NewReplacer("STORE", fx.store.Dir, "CAFILE", caFile, "SOURCE", source, "ONFAIL", onFail).Replace(fixFleetYAML)
	f, err := model.ParseFleet([]byte(yaml), filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fx.fleet = f
	// Both endpoints were started on v0001 and not reloaded since.
	fx.served.set("app1", fx.serial(fx.old))
	fx.served.set("app2", fx.serial(fx.old))
	clock := &fakeClock{now: fixedNow}
	fx.engine = rotate.NewEngine(rotate.EngineOptions{
		Fleet: f, Verifier: fx.served, BundleSerial: probe.BundleSerial,
		Store: rotate.StoreOptions{AuditLog: filepath.Join(dir, "audit.log")},
		Clock: clock.Now, Sleep: clock.Sleep,
		MakeReload: func(r model.Reload, _ func(context.Context) ([]byte, error)) (rotate.Reload, error) {
			real, err := rotate.NewReload(r, rotate.ReloadEnv{})
			if err != nil {
				return nil, err
			}
			return fakeRun{Reload: real, run: fx.reload}, nil
		},
	})
	return fx
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

func (fx *fixFixture) serial(l *pki.Leaf) string { return model.DescribeCert(l.Cert).Serial }

// reload is app-nginx's run: with effect, both endpoints serve the
// store's current serial afterwards.
func (fx *fixFixture) reload(ctx context.Context) rotate.ReloadResult {
	fx.mu.Lock()
	fx.ran++
	effect, n, hook := fx.effect, fx.ran, fx.onReload
	fx.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	if effect {
		serial, err := probe.BundleSerial(fx.bundle())
		if err != nil {
			return rotate.ReloadResult{Err: err}
		}
		fx.served.set("app1", serial)
		fx.served.set("app2", serial)
	}
	return rotate.ReloadResult{Duration: time.Millisecond}
}

func (fx *fixFixture) bundle() model.Bundle {
	b, _ := fx.fleet.BundleByName("app")
	return b
}

func (fx *fixFixture) reloads() int {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return fx.ran
}

// console is the console over the fixture at fixedNow, w x h, after one
// probe round (what the fake servers serve) and one read of the bundle.
func (fx *fixFixture) console(w, h int, readOnly bool) *Model {
	fx.t.Helper()
	theme, _ := themes.Builtin(themes.ANSI)
	m := New(Options{Fleet: fx.fleet, Engine: fx.engine, Prober: &fakeProber{next: fixedNow.Add(55 * time.Second)},
		Theme: theme, ThemeDecided: true, ReadOnly: readOnly, Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(eventsMsg{events: append(fx.observations(), probe.BundleEvents(fx.fleet.Bundles, fixedNow)...)})
	return m
}

// observations are probes of app1 and app2 showing what they serve now
// (the scheduler's verification probes reach the console so), with
// fixed dates around fixedNow.
func (fx *fixFixture) observations() []model.Event {
	var out []model.Event
	for _, ep := range []string{"app1", "app2"} {
		c := cert("app.test", fx.served.get(ep), 80*24*time.Hour)
		out = append(out, obs(ep, c))
	}
	return out
}

// observe applies what the endpoints serve now to the console.
func (fx *fixFixture) observe(m *Model) { m.Update(eventsMsg{events: fx.observations()}) }

// fakeRun is a real reload kind's plan with a fake run.
type fakeRun struct {
	rotate.Reload
	run func(context.Context) rotate.ReloadResult
}

func (f fakeRun) Run(ctx context.Context) rotate.ReloadResult { return f.run(ctx) }

// fakeServed is the endpoints' served serials, a rotate.Verifier. A gate
// holds an endpoint's probes until it is opened: a test sees the rows
// mid-verification.
type fakeServed struct {
	mu     sync.Mutex
	serial map[string]string
	gates  map[string]chan struct{}
	probes map[string]int
}

func newFakeServed() *fakeServed {
	return &fakeServed{serial: map[string]string{}, gates: map[string]chan struct{}{}, probes: map[string]int{}}
}

func (f *fakeServed) set(ep, serial string) {
	f.mu.Lock()
	f.serial[ep] = serial
	f.mu.Unlock()
}

func (f *fakeServed) get(ep string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.serial[ep]
}

// hold makes ep's probes wait until the returned func is called.
func (f *fakeServed) hold(ep string) (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.gates[ep] = ch
	f.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (f *fakeServed) ServedSerial(ctx context.Context, ep string) (string, error) {
	f.mu.Lock()
	gate := f.gates[ep]
	f.probes[ep]++
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	s := f.get(ep)
	if s == "" {
		return "", fmt.Errorf("%s: connection refused", ep)
	}
	return s, nil
}

// fakeClock is the engine's clock: Sleep moves it, so a 30-second
// verification timeout takes no time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}
