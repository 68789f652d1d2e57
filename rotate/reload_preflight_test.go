package rotate

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/model"
)

// haproxyStoreFixture is a store bundle "lb" (v0001, v0002) serving lb-1,
// reloaded through HAProxy's runtime API on a fake unix socket, with an
// engine building the real reload kinds.
type haproxyStoreFixture struct {
	hp     *haproxyFixture
	store  *Store
	engine *Engine
}

func newHAProxyStoreFixture(t *testing.T) *haproxyStoreFixture {
	t.Helper()
	f := &haproxyStoreFixture{hp: newHAProxyFixture(t, "unix")}
	f.store = &Store{Dir: filepath.Join(t.TempDir(), "store"), AuditLog: "-", PruneGrace: -1}
	for range 2 {
		mustPublishReal(t, f.store, "lb", inputsFor(issue(t, "lb.test")))
	}
	fleet, err := model.ParseFleet([]byte(`reloads:
  - {name: lb-haproxy, haproxy: {socket: `+f.hp.api.addr+`, crt: `+f.hp.crt+`}}
endpoints:
  - {name: lb-1, address: 127.0.0.1:1}
bundles:
  - {name: lb, path: `+f.store.BundleDir("lb")+`, layout: store, serves: [lb-1], reload: lb-haproxy}
`), "lb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	servers := newFakeServers()
	f.engine = NewEngine(EngineOptions{Fleet: fleet, Verifier: servers, VerifyTimeout: time.Second,
		Store: StoreOptions{AuditLog: "-", Roots: fixtures.root.Pool()}})
	return f
}

func (f *haproxyStoreFixture) publish(t *testing.T) Action {
	t.Helper()
	inputs, _ := newerInputs(t, "lb")
	a, err := f.engine.Publish(PublishRequest{Bundle: "lb", Inputs: inputs, Reload: true, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestUnsafeRuntimeAPISocketIsRefusedBeforeThePublish: with the socket's
// directory writable by others (chmod 777), the publish's plan is refused
// saying why and how to fix it, and so is its run, before anything
// changed: current stays v0002 and not one command reaches the socket.
// A reload of the bundle is refused the same way. With the directory
// fixed, the same plan passes.
func TestUnsafeRuntimeAPISocketIsRefusedBeforeThePublish(t *testing.T) {
	f := newHAProxyStoreFixture(t)
	if _, err := f.publish(t).Plan(t.Context()); err != nil {
		t.Fatalf("plan with a safe socket dir: %v", err)
	}
	dir := filepath.Dir(f.hp.api.addr)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	a := f.publish(t)
	p, err := a.Plan(t.Context())
	if err == nil || p.Refusal == nil || p.Refusal.Reason != ReasonReloadCannotRun {
		t.Fatalf("plan: %v (refusal %+v), want refused: %s", err, p.Refusal, ReasonReloadCannotRun)
	}
	text := strings.Join(p.Lines(), "\n")
	for _, want := range []string{"refusing to send keys to " + f.hp.api.addr, "writable by group and others (mode 0777)", "another user could bind a socket", "fix: chmod go-w " + dir} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	out, err := a.Run(t.Context(), nil)
	if err == nil || out.State != OutcomeRefused || !strings.Contains(err.Error(), "chmod go-w "+dir) {
		t.Fatalf("run: state %s, err %v; want refused naming the fix", out.State, err)
	}
	if cur := currentTarget(t, f.store.BundleDir("lb")); cur != "v0002" {
		t.Errorf("current %s after a refused publish, want v0002", cur)
	}
	reload, err := f.engine.Reload("lb")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reload.Plan(t.Context()); err == nil || !strings.Contains(err.Error(), "chmod go-w "+dir) {
		t.Errorf("reload plan: %v, want refused", err)
	}
	if out, err := reload.Run(t.Context(), nil); err == nil || out.State != OutcomeRefused || len(out.Forward.Reloads) != 0 {
		t.Errorf("reload run: state %s, err %v, reloads %+v; want refused before running any", out.State, err, out.Forward.Reloads)
	}
	if cmds, _, _ := f.hp.api.state(); len(cmds) != 0 {
		t.Errorf("%d commands reached the socket: %q", len(cmds), cmds)
	}
}

// TestMissingRuntimeAPISocketIsRefusedBeforeThePublish: no socket at the
// configured path (HAProxy down, or another stats socket path) would fail
// the reload after the publish; it is refused first, asking whether
// HAProxy runs with that socket.
func TestMissingRuntimeAPISocketIsRefusedBeforeThePublish(t *testing.T) {
	f := newHAProxyStoreFixture(t)
	if err := os.Remove(f.hp.api.addr); err != nil {
		t.Fatal(err)
	}
	out, err := f.publish(t).Run(t.Context(), nil)
	if err == nil || out.State != OutcomeRefused || !strings.Contains(err.Error(), "no socket at "+f.hp.api.addr+": is HAProxy running") {
		t.Fatalf("run: state %s, err %v", out.State, err)
	}
	if cur := currentTarget(t, f.store.BundleDir("lb")); cur != "v0002" {
		t.Errorf("current %s, want v0002", cur)
	}
}

// TestRuntimeAPIRefusedBeforeSendingAdvisesNoAbort: when set ssl cert
// never left certdeck (the socket failed its check, or nobody listens
// on it), no transaction can be open: the reload says nothing was sent,
// and neither sends an abort nor advises looking for a pending one.
func TestRuntimeAPIRefusedBeforeSendingAdvisesNoAbort(t *testing.T) {
	stale := func(t *testing.T) string {
		dir, err := os.MkdirTemp("", "certdeck-rt-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		sock := filepath.Join(dir, "admin.sock")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		ln.SetUnlinkOnClose(false) // a socket file nobody listens on: HAProxy died
		ln.Close()
		return sock
	}
	for _, tc := range []struct {
		name   string
		socket func(t *testing.T, f *haproxyFixture) string
		want   string
	}{
		{"unsafe dir", func(t *testing.T, f *haproxyFixture) string {
			if err := os.Chmod(filepath.Dir(f.api.addr), 0o777); err != nil {
				t.Fatal(err)
			}
			return f.api.addr
		}, "refusing to send keys"},
		{"nobody listening", func(t *testing.T, _ *haproxyFixture) string { return stale(t) }, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newHAProxyFixture(t, "unix")
			sock := tc.socket(t, f)
			rl := mustReload(t, model.Reload{Name: "lb", Kind: model.ReloadHAProxy, Timeout: 5 * time.Second, HAProxy: model.HAProxyConfig{Socket: sock, Crt: f.crt}},
				ReloadEnv{Payload: func(context.Context) ([]byte, error) { return f.newPEM, nil }})
			res := rl.Run(t.Context())
			if res.OK() {
				t.Fatal("the reload succeeded")
			}
			msg := res.Err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "nothing sent") || strings.Contains(msg, "abort") || strings.Contains(msg, "pending transaction") {
				t.Errorf("error %q: want %q and nothing sent, no abort advice", msg, tc.want)
			}
			if cmds, _, _ := f.api.state(); len(cmds) != 0 {
				t.Errorf("commands reached the socket: %q", cmds)
			}
			f.noKeyRuns(t, "the error", msg+res.Output)
		})
	}
}
