package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

// fakeServers stand in for the servers a fleet's endpoints run: each
// serves one serial, and a reload makes it read what its store holds
// now, as nginx does on `nginx -s reload`. Down endpoints refuse probes.
type fakeServers struct {
	mu     sync.Mutex
	served map[string]string
	down   map[string]bool
	probes map[string]int
	// follow makes an endpoint serve what a function says on every
	// probe: a Go server on rotate.Reloader follows `current` itself.
	follow map[string]func() string
}

func newFakeServers() *fakeServers {
	return &fakeServers{served: map[string]string{}, down: map[string]bool{}, probes: map[string]int{}, follow: map[string]func() string{}}
}

func (f *fakeServers) ServedSerial(ctx context.Context, endpoint string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probes[endpoint]++
	if f.down[endpoint] {
		return "", errors.New("connect: connection refused")
	}
	if follow, ok := f.follow[endpoint]; ok {
		return follow(), nil
	}
	if s, ok := f.served[endpoint]; ok {
		return s, nil
	}
	return "", errors.New("connect: no such server")
}

func (f *fakeServers) set(endpoint, serial string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served[endpoint] = serial
}

func (f *fakeServers) get(endpoint string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served[endpoint]
}

func (f *fakeServers) setDown(endpoint string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[endpoint] = down
}

// fakeReload is a configured reload whose Run does what the test says.
type fakeReload struct {
	name  string
	steps []Step
	run   func(ctx context.Context) ReloadResult
}

func (r *fakeReload) Name() string                         { return r.name }
func (r *fakeReload) Steps() []Step                        { return r.steps }
func (r *fakeReload) Run(ctx context.Context) ReloadResult { return r.run(ctx) }

// fakeClock is the verification's clock: Sleep advances it at once.
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
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// engineFixture is a store bundle "web" (layout store) serving web-1 and
// web-2, a bundle "api" with on_verify_fail: rollback serving api-1, and
// reloads whose behaviour each test sets; v0001 and v0002 published in
// both stores, the servers serving v0001.
type engineFixture struct {
	t        *testing.T
	store    *Store
	fleet    *model.Fleet
	servers  *fakeServers
	clock    *fakeClock
	audit    string
	serials  map[string][]string // bundle → serial of v0001, v0002
	behave   map[string]func(ctx context.Context) ReloadResult
	ran      map[string]int
	mu       sync.Mutex
	registry *Registry
}

const engineFleetYAML = `
reloads:
  - name: web-nginx
    exec: ["nginx", "-s", "reload"]
  - name: web-2-hup
    signal: HUP
    pidfile: /run/web-2.pid
  - name: api-nginx
    exec: ["nginx", "-p", "/srv/api prefix", "-s", "reload"]
endpoints:
  - {name: web-1, address: 127.0.0.1:8441}
  - {name: web-2, address: 127.0.0.1:8442, reload: web-2-hup}
  - {name: api-1, address: 127.0.0.1:8443}
  - {name: go-app, address: 127.0.0.1:8444}
  - {name: lonely, address: 127.0.0.1:8445, reload: web-nginx}
bundles:
  - {name: web, path: STORE/web, layout: store, serves: [web-1, web-2], reload: web-nginx}
  - {name: api, path: STORE/api, layout: store, serves: [api-1], reload: api-nginx, on_verify_fail: rollback, verify_timeout: 20s}
  - {name: app, path: STORE/app, layout: store, serves: [go-app]}
`

func newEngineFixture(t *testing.T) *engineFixture {
	t.Helper()
	dir := t.TempDir()
	fx := &engineFixture{
		t: t, servers: newFakeServers(), clock: &fakeClock{now: time.Now()},
		audit: filepath.Join(dir, "state", "audit.log"), serials: map[string][]string{},
		behave: map[string]func(context.Context) ReloadResult{}, ran: map[string]int{}, registry: NewRegistry(),
	}
	fx.store = &Store{Dir: filepath.Join(dir, "store"), AuditLog: "-", PruneGrace: -1}
	f, err := model.ParseFleet([]byte(strings.ReplaceAll(engineFleetYAML, "STORE", fx.store.Dir)), "engine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fx.fleet = f
	for _, b := range []string{"web", "api", "app"} {
		for range 2 {
			leaf := issue(t, b+".test")
			in := inputsFor(leaf)
			res := mustPublishReal(t, fx.store, b, in)
			fx.serials[b] = append(fx.serials[b], res.New.Serial)
		}
		// The servers were started on v0001 and not reloaded since.
		bundle, _ := f.BundleByName(b)
		for _, ep := range bundle.Serves {
			fx.servers.set(ep, fx.serials[b][0])
		}
	}
	// By default a reload works: its servers read their store's current.
	for _, r := range f.Reloads {
		fx.behave[r.Name] = fx.loadsCurrent(r.Name)
	}
	return fx
}

// mustPublishReal publishes at the real time (the store fixtures' fake
// clock is for the store's own tests).
func mustPublishReal(t *testing.T, s *Store, name string, in Inputs) *Result {
	t.Helper()
	s.Roots = fixtures.root.Pool()
	res, err := s.Publish(context.Background(), name, in)
	if err != nil {
		t.Fatalf("publish %s: %v", name, err)
	}
	return res
}

// loadsCurrent is a reload that works: every endpoint it reloads serves
// its bundle's current version afterwards.
func (fx *engineFixture) loadsCurrent(reload string) func(context.Context) ReloadResult {
	return func(ctx context.Context) ReloadResult {
		for _, ep := range fx.endpointsOf(reload) {
			if b, ok := fx.fleet.BundleServing(ep); ok {
				fx.servers.set(ep, fx.currentSerial(b.Name))
			}
		}
		return ReloadResult{ExitCode: 0, Duration: time.Millisecond}
	}
}

// endpointsOf lists the endpoints reload reloads, by the config.
func (fx *engineFixture) endpointsOf(reload string) []string {
	var out []string
	for _, ep := range fx.fleet.Endpoints {
		b, _ := fx.fleet.BundleServing(ep.Name)
		if model.ReloadFor(ep, b) == reload {
			out = append(out, ep.Name)
		}
	}
	return out
}

func (fx *engineFixture) currentSerial(bundle string) string {
	fx.t.Helper()
	v, err := Open(fx.store.BundleDir(bundle))
	if err != nil {
		fx.t.Fatalf("open %s: %v", bundle, err)
	}
	defer v.Close()
	lv, err := loadVersion(v)
	if err != nil {
		fx.t.Fatal(err)
	}
	return lv.meta.Serial
}

func (fx *engineFixture) current(bundle string) string {
	return currentTarget(fx.t, fx.store.BundleDir(bundle))
}

func (fx *engineFixture) engine(readOnly bool) *Engine {
	return NewEngine(EngineOptions{
		Fleet: fx.fleet, ReadOnly: readOnly, Verifier: fx.servers, Registry: fx.registry,
		Store: StoreOptions{AuditLog: fx.audit, Roots: fixtures.root.Pool()},
		MakeReload: func(r model.Reload, payload func(context.Context) ([]byte, error)) (Reload, error) {
			argv := r.Exec
			if r.Kind == model.ReloadSignal {
				argv = nil
			}
			return &fakeReload{name: r.Name, steps: []Step{{Kind: r.Kind, Target: r.PIDFile, Argv: argv, Detail: "fake " + r.Name}},
				run: func(ctx context.Context) ReloadResult {
					fx.mu.Lock()
					fx.ran[r.Name]++
					behave := fx.behave[r.Name]
					fx.mu.Unlock()
					return behave(ctx)
				}}, nil
		},
		Clock: fx.clock.Now, Sleep: fx.clock.Sleep,
	})
}

func (fx *engineFixture) runs(reload string) int {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return fx.ran[reload]
}

// auditLines reads every audit line written so far.
func (fx *engineFixture) auditLines() []AuditEntry {
	fx.t.Helper()
	data, err := os.ReadFile(fx.audit)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		fx.t.Fatal(err)
	}
	var out []AuditEntry
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e AuditEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			fx.t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

// newerLeaf stages a fresh certificate for bundle as a publish request's
// inputs.
func newerInputs(t *testing.T, bundle string) (func() (Inputs, error), *pki.Leaf) {
	leaf := issue(t, bundle+".test")
	return func() (Inputs, error) { return inputsFor(leaf), nil }, leaf
}

func stateOf(v []VerifyResult) map[string]string {
	out := map[string]string{}
	for _, r := range v {
		out[r.Endpoint] = r.State
	}
	return out
}
