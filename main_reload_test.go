package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
	"certdeck/rotate"
)

// reloadFleet is a config with four store bundles, each served by an
// in-process Go TLS server that presents what it loaded last:
//   - web: its http reload (bearer token from $CLI_RELOAD_TOKEN) makes
//     the server load the store's current version;
//   - stale: its reload answers 200 and changes nothing;
//   - undo: the same, with on_verify_fail: rollback;
//   - loud: its reload answers 500 with escape sequences in the body.
type reloadFleet struct {
	config, store, ca string
	inter             *pki.CA
	hits              atomic.Int64 // reload requests that carried the token
	servers           map[string]*atomic.Pointer[tls.Certificate]
}

const cliTokenEnv = "CLI_RELOAD_TOKEN"

func newReloadFleet(t *testing.T) *reloadFleet {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv(cliTokenEnv, "s3cret-token-value")
	dir := t.TempDir()
	root := pki.Must(pki.NewCA("cli root"))
	f := &reloadFleet{store: filepath.Join(dir, "store"), ca: writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM()),
		inter: pki.Must(root.Intermediate("cli inter")), servers: map[string]*atomic.Pointer[tls.Certificate]{}}
	addrs := map[string]string{}
	for _, name := range []string{"web", "stale", "undo", "loud"} {
		f.publish(t, name)
		cert := f.currentCert(t, name)
		p := &atomic.Pointer[tls.Certificate]{}
		p.Store(&cert)
		f.servers[name] = p
		srv := probetest.StartTLSServer(t, &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return p.Load(), nil }})
		addrs[name] = srv.Addr
	}
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+os.Getenv(cliTokenEnv) {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		f.hits.Add(1)
		switch r.URL.Path {
		case "/reload/web":
			cert := f.currentCert(t, "web")
			f.servers["web"].Store(&cert)
		case "/fail":
			http.Error(w, "boom \x1b]0;pwned\a\u202e", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(hub.Close)
	cfg := fmt.Sprintf(`defaults: {timeout: 3s}
reloads:
  - name: web-http
    http: {url: "%[1]s/reload/web", bearer_env: %[2]s}
  - name: noop
    http: {url: "%[1]s/noop", bearer_env: %[2]s}
  - name: broken
    http: {url: "%[1]s/fail", bearer_env: %[2]s}
endpoints:
`, hub.URL, cliTokenEnv)
	for _, name := range []string{"web", "stale", "undo", "loud"} {
		cfg += fmt.Sprintf("  - {name: %s, address: %s, sni: %s.test, ca: %s}\n", name, addrs[name], name, f.ca)
	}
	cfg += "bundles:\n"
	for name, extra := range map[string]string{
		"web": "reload: web-http", "stale": "reload: noop, verify_timeout: 1s",
		"undo": "reload: noop, on_verify_fail: rollback, verify_timeout: 1s", "loud": "reload: broken",
	} {
		cfg += fmt.Sprintf("  - {name: %s, path: %s, layout: store, ca: %s, serves: [%s], %s}\n", name, filepath.Join(f.store, name), f.ca, name, extra)
	}
	f.config = writeFile(t, filepath.Join(dir, "config.yaml"), []byte(cfg))
	return f
}

// publish puts a fresh certificate into bundle name with a plain rotate
// and returns its serial.
func (f *reloadFleet) publish(t *testing.T, name string) string {
	t.Helper()
	leaf := pki.Must(f.inter.Issue(pki.Options{DNSNames: []string{name + ".test"}}))
	dir := t.TempDir()
	out, code, msg := runRotateCmd(t, "rotate", name, "--store", f.store, "--ca", f.ca,
		"--fullchain", writeFile(t, filepath.Join(dir, "f.pem"), leaf.FullchainPEM()), "--key", writeFile(t, filepath.Join(dir, "k.pem"), leaf.KeyPEM()))
	if code != 0 {
		t.Fatalf("rotate %s: %d %s %s", name, code, out, msg)
	}
	return model.SerialHex(leaf.Cert.SerialNumber)
}

// publishArgs are rotate's arguments for a fresh certificate of name.
func (f *reloadFleet) publishArgs(t *testing.T, name string, extra ...string) ([]string, string) {
	leaf := pki.Must(f.inter.Issue(pki.Options{DNSNames: []string{name + ".test"}}))
	dir := t.TempDir()
	return append([]string{"rotate", name, "--config", f.config, "--ca", f.ca,
		"--fullchain", writeFile(t, filepath.Join(dir, "f.pem"), leaf.FullchainPEM()), "--key", writeFile(t, filepath.Join(dir, "k.pem"), leaf.KeyPEM())}, extra...), model.SerialHex(leaf.Cert.SerialNumber)
}

func (f *reloadFleet) currentCert(t *testing.T, name string) tls.Certificate {
	v, err := rotate.Open(filepath.Join(f.store, name))
	if err != nil {
		t.Errorf("open %s: %v", name, err)
		return tls.Certificate{}
	}
	defer v.Close()
	full, _ := v.ReadFile(rotate.FullchainFile)
	key, _ := v.ReadFile(rotate.KeyFile)
	cert, err := tls.X509KeyPair(full, key)
	if err != nil {
		t.Errorf("%s: %v", name, err)
	}
	return cert
}

func (f *reloadFleet) current(t *testing.T, name string) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join(f.store, name, "current"))
	if err != nil {
		t.Fatal(err)
	}
	return target
}

func auditLog(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "certdeck", "audit.log"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// `certdeck reload BUNDLE` runs the bundle's reload and proves by
// handshake that the endpoint serves the bundle's current serial; one
// line per endpoint; one audit line with the exact target and the
// verification, and never the token.
func TestReloadCommandVerifiesEveryEndpointAndAudits(t *testing.T) {
	f := newReloadFleet(t)
	serial := f.publish(t, "web")
	out, code, msg := runRotateCmd(t, "reload", "web", "--config", f.config)
	if code != 0 || !strings.Contains(out, "reload web-http (http): ok") || !strings.Contains(out, "web: verified: serves "+serial) ||
		!strings.Contains(out, "reload web: verified: 1/1 endpoint serves "+serial) {
		t.Fatalf("reload web: code %d, out %q, err %q", code, out, msg)
	}
	audit := auditLog(t)
	if !strings.Contains(audit, `"action":"reload"`) || !strings.Contains(audit, `"state":"ok"`) || !strings.Contains(audit, "/reload/web") ||
		!strings.Contains(audit, `"state":"verified"`) || !strings.Contains(audit, `"user":"`) {
		t.Errorf("audit log %s", audit)
	}
	if strings.Contains(audit+out+msg, "s3cret-token-value") {
		t.Fatal("the bearer token reached the output or the audit log")
	}
}

// A reload that answers 200 but changes nothing: `still serving` the old
// serial and exit 4; with on_verify_fail: rollback (rotate --reload) the
// store is rolled back, the old serial verified, exit 5.
func TestReloadWithoutEffectIsNotVerifiedAndRollsBackWhenConfigured(t *testing.T) {
	f := newReloadFleet(t)
	old := f.currentCert(t, "stale").Leaf.SerialNumber
	want := f.publish(t, "stale")
	out, code, msg := runRotateCmd(t, "reload", "stale", "--config", f.config, "--timeout", "500ms")
	if code != actionNotVerified || !strings.Contains(out, fmt.Sprintf("stale: still serving %s (want %s)", model.SerialHex(old), want)) {
		t.Fatalf("reload stale: code %d, out %q, err %q", code, out, msg)
	}
	if f.current(t, "stale") != "v0002" {
		t.Fatalf("a bundle without on_verify_fail was rolled back to %s", f.current(t, "stale"))
	}

	served := model.SerialHex(f.currentCert(t, "undo").Leaf.SerialNumber)
	args, _ := f.publishArgs(t, "undo", "--reload")
	out, code, msg = runRotateCmd(t, args...)
	if code != actionRolledBack || !strings.Contains(out, "automatic rollback") || !strings.Contains(out, "rolled back undo: v0001") ||
		!strings.Contains(out, "  undo: verified: serves "+served) || !strings.Contains(out, "ROLLED BACK") {
		t.Fatalf("rotate undo --reload: code %d, out %q, err %q", code, out, msg)
	}
	if f.current(t, "undo") != "v0001" {
		t.Fatalf("current %s after the rollback, want v0001", f.current(t, "undo"))
	}
	if a := auditLog(t); !strings.Contains(a, `"state":"rolled-back"`) || !strings.Contains(a, `"rollback":{"old_version":"v0002","new_version":"v0001"`) {
		t.Errorf("audit log lacks the rollback leg: %s", a)
	}
}

// A reload that fails: exit 1 (nothing else changed), its status and the
// server's words shown, sanitised.
func TestFailingReloadIsReportedSanitised(t *testing.T) {
	f := newReloadFleet(t)
	out, code, msg := runRotateCmd(t, "reload", "loud", "--config", f.config)
	if code != storeRefused || !strings.Contains(out+msg, "500") || !strings.Contains(out+msg, "boom") {
		t.Fatalf("reload loud: code %d, out %q, err %q", code, out, msg)
	}
	if strings.ContainsAny(out+msg, "\x1b\a\u202e") || !strings.Contains(out+msg, `\x1b]0;pwned`) {
		t.Fatalf("the server's escapes reach the terminal raw: %q %q", out, msg)
	}
}

// --dry-run prints exactly what would run and changes nothing: no
// version, no reload request, no audit line.
func TestDryRunPrintsThePlanAndChangesNothing(t *testing.T) {
	f := newReloadFleet(t)
	f.publish(t, "web") // v0002, so there is something to roll back and prune
	f.publish(t, "web") // v0003
	before := auditLog(t)
	args, serial := f.publishArgs(t, "web", "--reload", "--dry-run")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{args, []string{"publish web: v0003 → v0004 (serial ", "→ " + serial + ")", "swap current v0003 → v0004", "http ", "/reload/web",
			"$" + cliTokenEnv, "verify    web (", "serves " + serial}},
		{[]string{"rollback", "web", "--config", f.config, "--reload", "--dry-run"}, []string{"rollback web: v0003 → v0002", "swap current v0003 → v0002", "/reload/web"}},
		{[]string{"reload", "web", "--config", f.config, "--dry-run"}, []string{"reload web: endpoints should serve", "/reload/web", "verify    web"}},
		{[]string{"store", "prune", "web", "--store", f.store, "--keep", "1", "--dry-run"}, []string{"prune web", "nothing to remove; keep v0001 (replaced ", "ago: kept 1m0s so readers can finish)", "v0002 (rollback target, ", "v0003 (current, one of the newest 1 good version)"}},
	} {
		out, code, msg := runRotateCmd(t, tc.args...)
		if code != 0 || !strings.Contains(out, "dry run: nothing was changed") {
			t.Fatalf("%v: code %d, out %q, err %q", tc.args, code, out, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s --dry-run does not say %q:\n%s", tc.args[0], w, out)
			}
		}
	}
	if f.current(t, "web") != "v0003" || f.hits.Load() != 0 || auditLog(t) != before {
		t.Fatalf("a dry run changed something: current %s, %d reload requests, audit grew", f.current(t, "web"), f.hits.Load())
	}
	if vs, _ := os.ReadDir(filepath.Join(f.store, "web")); len(vs) != 5 { // .lock current v0001-3
		t.Fatalf("a dry run added or removed versions: %v", vs)
	}
}

// --read-only refuses the reload itself (exit 1); an unknown name is a
// usage error (exit 3); neither sends a request.
func TestReloadRefusedReadOnlyAndForUnknownNames(t *testing.T) {
	f := newReloadFleet(t)
	if _, code, msg := runRotateCmd(t, "--read-only", "reload", "web", "--config", f.config); code != storeRefused || !strings.Contains(msg, "read-only") {
		t.Fatalf("read-only reload: code %d, err %q", code, msg)
	}
	if _, code, msg := runRotateCmd(t, "reload", "nope", "--config", f.config); code != usageExit || !strings.Contains(msg, "no bundle or endpoint") {
		t.Fatalf("unknown name: code %d, err %q", code, msg)
	}
	if _, code, msg := runRotateCmd(t, "rotate", "web", "--store", f.store, "--reload", "--fullchain", "x", "--key", "y"); code != usageExit || !strings.Contains(msg, "needs a config") {
		t.Fatalf("rotate --reload without a config: code %d, err %q", code, msg)
	}
	if f.hits.Load() != 0 {
		t.Fatalf("%d reload requests sent", f.hits.Load())
	}
}

// rotate verifies a configured bundle's chain against its ca:, as check
// and the console do: a deploy hook needs no --ca the config already says.
// An explicit --ca still wins (a wrong one is refused).
func TestRotateUsesTheConfiguredBundlesCA(t *testing.T) {
	f := newReloadFleet(t)
	args, serial := f.publishArgs(t, "web", "--reload")
	noCA := slices.Clone(args)
	for i := range noCA {
		if noCA[i] == "--ca" {
			noCA = slices.Delete(noCA, i, i+2)
			break
		}
	}
	out, code, msg := runRotateCmd(t, noCA...)
	if code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("rotate --config without --ca: exit %d, err %q\n%s", code, msg, out)
	}
	if got := f.currentCert(t, "web"); model.SerialHex(got.Leaf.SerialNumber) != serial {
		t.Fatalf("web serves %s, want the published %s", model.SerialHex(got.Leaf.SerialNumber), serial)
	}
	other := pki.Must(pki.NewCA("other root"))
	wrong := writeFile(t, filepath.Join(t.TempDir(), "other.pem"), other.RootPEM())
	args, _ = f.publishArgs(t, "web")
	for i := range args {
		if args[i] == "--ca" {
			args[i+1] = wrong
		}
	}
	if _, code, msg := runRotateCmd(t, args...); code != storeRefused || !strings.Contains(msg, "unknown authority") {
		t.Fatalf("rotate with a wrong --ca: exit %d, err %q", code, msg)
	}
}
