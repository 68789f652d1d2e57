package model

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/demo/pki"
)

func TestParseFleetAppliesDefaultsAndOverrides(t *testing.T) {
	cfg := `
name: prod
defaults: {interval: 30s, timeout: 2s, concurrency: 8, warn: 21d, crit: 3d}
endpoints:
  - name: web-1
    address: example.com
    group: edge
  - name: mail
    address: smtp://mx.example.com
    warn: 45d
  - name: v6
    address: "[2001:db8::1]:8443"
    sni: api.example.com
`
	f, err := ParseFleet([]byte(cfg), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "prod" || f.Interval != 30*time.Second || f.Timeout != 2*time.Second || f.Concurrency != 8 {
		t.Fatalf("defaults not applied: %+v", f)
	}
	web := f.Endpoints[0]
	if web.Target.Addr() != "example.com:443" || web.SNI != "example.com" || web.Group != "edge" {
		t.Errorf("web-1 = %+v", web)
	}
	if web.Thresholds != (Thresholds{Warn: Threshold{Duration: 21 * 24 * time.Hour}, Crit: Threshold{Duration: 3 * 24 * time.Hour}}) {
		t.Errorf("web-1 thresholds = %+v, want the defaults", web.Thresholds)
	}
	mail := f.Endpoints[1]
	if mail.Target.Protocol != ProtoSMTP || mail.Target.Port != "25" || mail.Thresholds.Warn != (Threshold{Duration: 45 * 24 * time.Hour}) {
		t.Errorf("mail = %+v", mail)
	}
	v6 := f.Endpoints[2]
	if v6.Target.Host != "2001:db8::1" || v6.Target.Port != "8443" || v6.SNI != "api.example.com" {
		t.Errorf("v6 = %+v", v6)
	}
}

func TestParseFleetRejectsWithKeyAndLine(t *testing.T) {
	tests := []struct {
		name, cfg string
		want      []string // every fragment must appear in the error
	}{
		{"unknown endpoint key", "endpoints:\n  - name: a\n    adress: x:443\n", []string{"config.yaml", "line 3", `"adress"`, "endpoint"}},
		{"unknown top key", "endpoint:\n  - name: a\n", []string{"line 1", `"endpoint"`, "top level"}},
		{"unknown defaults key", "defaults:\n  intervall: 5s\n", []string{"line 2", `"intervall"`, "defaults"}},
		{"bad duration", "defaults:\n  warn: soon\n", []string{"line 2", `"soon"`}},
		{"duplicate name", "endpoints:\n  - {name: a, address: x:1}\n  - {name: a, address: y:1}\n", []string{`"a"`, "twice"}},
		{"missing address", "endpoints:\n  - {name: a}\n", []string{"endpoint 1 (a)", "address is required"}},
		{"bad scheme", "endpoints:\n  - {address: 'gopher://x'}\n", []string{"unknown scheme"}},
		{"bad port", "endpoints:\n  - {address: 'x:99999'}\n", []string{"port must be 1-65535"}},
		{"crit above warn", "defaults: {warn: 5d, crit: 10d}\n", []string{"crit (10d) must not exceed warn (5d)"}},
		{"serves unknown endpoint", "bundles:\n  - {name: b, path: /x, serves: [nope]}\n", []string{`serves "nope"`}},
		{"bad layout", "bundles:\n  - {path: /x, layout: zip}\n", []string{`layout "zip"`}},
		{"mTLS half", "endpoints:\n  - {address: 'x:1', client_cert: c.pem}\n", []string{"client_cert and client_key go together"}},
		{"future version", "version: 2\n", []string{"version 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFleet([]byte(tt.cfg), "config.yaml")
			if err == nil {
				t.Fatal("accepted an invalid config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadFleetResolvesPathsRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	abs := filepath.Join(t.TempDir(), "abs-ca.pem")
	root := pki.Must(pki.NewCA("Load Root")).RootPEM()
	os.WriteFile(filepath.Join(dir, "ca.pem"), root, 0o644)
	os.WriteFile(abs, root, 0o644)
	os.WriteFile(path, []byte("endpoints:\n  - {address: 'a:443', ca: ca.pem}\nbundles:\n  - {path: /etc/b, ca: "+abs+"}\n"), 0o644)
	f, err := LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Endpoints[0].CAFile; got != filepath.Join(dir, "ca.pem") {
		t.Errorf("relative ca resolved to %q", got)
	}
	if got := f.Bundles[0].CAFile; got != abs {
		t.Errorf("absolute ca changed to %q", got)
	}
	if f.Source != path {
		t.Errorf("source = %q", f.Source)
	}
}

func TestConfigPathPrecedence(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("CERTDECK_CONFIG", "")
	if p, explicit, err := ConfigPath(""); p != "/xdg/certdeck/config.yaml" || explicit || err != nil {
		t.Errorf("default = %q %v %v", p, explicit, err)
	}
	t.Setenv("CERTDECK_CONFIG", "/env.yaml")
	if p, explicit, _ := ConfigPath(""); p != "/env.yaml" || !explicit {
		t.Errorf("env = %q %v", p, explicit)
	}
	if p, explicit, _ := ConfigPath("/flag.yaml"); p != "/flag.yaml" || !explicit {
		t.Errorf("flag = %q %v", p, explicit)
	}
}

func TestFleetFromTargetsDeduplicates(t *testing.T) {
	f, err := FleetFromTargets([]string{"a.test", "a.test:443", "imap://b.test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Endpoints) != 2 || f.Endpoints[1].Target.Port != "143" {
		t.Fatalf("endpoints = %+v", f.Endpoints)
	}
	if f.Thresholds.Warn != DefaultWarn || f.Concurrency != DefaultConcurrency {
		t.Errorf("defaults missing: %+v", f)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"30d", 30 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"90s", 90 * time.Second, false},
		{"0d", 0, false},
		{"-5s", 0, true},
		{"d", 0, true},
		{"3x", 0, true},
		{"", 0, true},
		{"999999d", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParseFleet(f *testing.F) {
	// Seeds: the configuration reference and every refusal fixture shared
	// with the CLI tests (testdata/config at the top of the repository).
	shared, _ := filepath.Glob(filepath.Join("..", "testdata", "config", "*", "*.yaml"))
	top, _ := filepath.Glob(filepath.Join("..", "testdata", "config", "*.yaml"))
	for _, p := range append(top, shared...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("endpoints:\n  - {name: a, address: 'smtp://[::1]:25', warn: 3d}\n"))
	f.Add([]byte("defaults: {interval: 1d2h}\nbundles: [{path: /x, serves: []}]\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("reloads:\n  - {name: r, signal: usr2, pidfile: p}\n  - {name: s, exec: [a, '']}\nbundles: [{path: /s/b, layout: store, reload: r, on_verify_fail: rollback}]\n"))
	f.Add([]byte("reloads: [{name: h, http: {url: 'http://[::1]:80/x', bearer_env: T, expect: 204}, timeout: 1d}]\n"))
	f.Add([]byte("reloads: [{name: h, haproxy: {socket: 'localhost:0', crt: c}}]\nendpoints: [{address: x, reload: h}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fleet, err := ParseFleet(data, "fuzz.yaml")
		if err != nil {
			return
		}
		// Whatever is accepted must be usable: unique names, parsed targets.
		seen := map[string]bool{}
		for _, e := range fleet.Endpoints {
			if seen[e.Name] || e.Target.Host == "" || e.Target.Port == "" {
				t.Fatalf("accepted unusable endpoint %+v", e)
			}
			seen[e.Name] = true
			if _, ok := fleet.ReloadByName(e.Reload); e.Reload != "" && !ok {
				t.Fatalf("accepted endpoint %s naming an unknown reload %q", e.Name, e.Reload)
			}
		}
		// Reloads: unique names, exactly one usable kind, bounded timeout.
		reloads := map[string]bool{}
		for _, r := range fleet.Reloads {
			if r.Name == "" || reloads[r.Name] || r.Timeout <= 0 || r.Timeout > MaxActionTimeout {
				t.Fatalf("accepted unusable reload %+v", r)
			}
			reloads[r.Name] = true
			usable := map[string]bool{
				ReloadExec: len(r.Exec) > 0 && r.Exec[0] != "", ReloadSignal: r.Signal != "" && r.PIDFile != "",
				ReloadSSH: r.SSH.Host != "" && len(r.Command) > 0, ReloadHTTP: r.HTTP.URL != "" && r.HTTP.Method != "",
				ReloadHAProxy: r.HAProxy.Socket != "" && r.HAProxy.Crt != "",
			}
			if !usable[r.Kind] {
				t.Fatalf("accepted reload %s of kind %q without what that kind needs: %+v", r.Name, r.Kind, r)
			}
		}
		for _, b := range fleet.Bundles {
			if b.Reload != "" && !reloads[b.Reload] || b.VerifyTimeout <= 0 ||
				b.OnVerifyFail == OnVerifyFailRollback && b.Layout != LayoutStore {
				t.Fatalf("accepted unusable bundle %+v", b)
			}
		}
	})
}

// Without an absolute $XDG_*_HOME and without $HOME, the default config
// and state paths would be relative to the working directory (the config
// read from, and the audit log written to, wherever certdeck was started):
// they are refused instead, and an explicit --config still works.
func TestDefaultDirsNeedHomeOrAbsoluteXDG(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("CERTDECK_CONFIG", "")
	for _, xdg := range []string{"", "relative/dir"} {
		t.Setenv("XDG_CONFIG_HOME", xdg)
		t.Setenv("XDG_STATE_HOME", xdg)
		if d, err := ConfigDir(); err == nil || !strings.Contains(err.Error(), "$HOME is not set") {
			t.Errorf("XDG=%q: ConfigDir = %q, %v; want an error naming $HOME", xdg, d, err)
		}
		if d, err := StateDir(); err == nil || !strings.Contains(err.Error(), "XDG_STATE_HOME") {
			t.Errorf("XDG=%q: StateDir = %q, %v; want an error naming $XDG_STATE_HOME", xdg, d, err)
		}
		if p, _, err := ConfigPath(""); err == nil {
			t.Errorf("XDG=%q: default config path %q accepted", xdg, p)
		}
	}
	if p, explicit, err := ConfigPath("/etc/certdeck.yaml"); err != nil || p != "/etc/certdeck.yaml" || !explicit {
		t.Errorf("--config without HOME: %q %v %v", p, explicit, err)
	}
	// A home that does not exist (/nonexistent, the home of system
	// accounts) is not created to hold state.
	t.Setenv("HOME", "/nonexistent")
	if d, err := StateDir(); err == nil || !strings.Contains(err.Error(), "$HOME /nonexistent is not an existing directory") {
		t.Errorf("StateDir with a missing HOME = %q, %v; want an error", d, err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	if d, err := StateDir(); err != nil || d != home+"/.local/state/certdeck" {
		t.Errorf("StateDir with HOME = %q, %v", d, err)
	}
	t.Setenv("XDG_STATE_HOME", "/var/lib/op")
	if d, err := StateDir(); err != nil || d != "/var/lib/op/certdeck" {
		t.Errorf("StateDir with XDG_STATE_HOME = %q, %v", d, err)
	}
}

// Names are unique per kind: a bundle may share an endpoint's name (the
// bundle "web" serving the endpoint "web"), and a duplicate within a kind
// names both lines.
func TestNamesAreUniquePerKindAndDuplicatesNameTheirLines(t *testing.T) {
	ok := "endpoints:\n  - {name: web, address: 'web.test:443'}\nbundles:\n  - {name: web, path: /etc/le/live/web, serves: [web]}\n"
	if f, err := ParseFleet([]byte(ok), "config.yaml"); err != nil || f.Bundles[0].Serves[0] != "web" {
		t.Fatalf("a bundle named like the endpoint it serves: %v", err)
	}
	dupEndpoint := "endpoints:\n  - name: a\n    address: x:1\n  - name: b\n    address: y:1\n  - name: a\n    address: z:1\n"
	_, err := ParseFleet([]byte(dupEndpoint), "config.yaml")
	if err == nil || err.Error() != `config.yaml: line 6: endpoint name "a" is used twice (also by endpoint 1 on line 2)` {
		t.Errorf("duplicate endpoint: %v", err)
	}
	dupBundle := "bundles:\n  - {name: web, path: /a}\n  - {path: /b/web}\n"
	_, err = ParseFleet([]byte(dupBundle), "config.yaml")
	if err == nil || err.Error() != `config.yaml: line 3: bundle name "web" is used twice (also by bundle 1 on line 2)` {
		t.Errorf("duplicate bundle: %v", err)
	}
}

func TestItemErrorsPointAtTheKeyLine(t *testing.T) {
	cfg := "endpoints:\n  - name: a\n    address: 'gopher://x'\n"
	_, err := ParseFleet([]byte(cfg), "config.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "config.yaml: line 3: endpoint 1 (a): address") {
		t.Fatalf("bad address: %v", err)
	}
}

// A ca:, client_cert or client_key that does not exist is a config error
// at load, naming the file, the line and the path, not an ERROR row on
// every probe.
func TestLoadFleetRefusesMissingReferencedFilesWithLine(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pki.Must(pki.NewCA("Files Root")).RootPEM(), 0o644)
	os.WriteFile(filepath.Join(dir, "not-pem.txt"), []byte("hello"), 0o644)
	tests := []struct {
		name, cfg string
		want      []string
	}{
		{"endpoint ca", "endpoints:\n  - name: api\n    address: api:443\n    ca: nope.pem\n",
			[]string{"line 4", "endpoint 1 (api)", "ca file " + filepath.Join(dir, "nope.pem") + " does not exist"}},
		{"client_cert", "endpoints:\n  - name: api\n    address: api:443\n    ca: ca.pem\n    client_cert: client.pem\n    client_key: client.key\n",
			[]string{"line 5", "client_cert file " + filepath.Join(dir, "client.pem") + " does not exist"}},
		{"bundle ca", "bundles:\n  - name: web\n    path: /etc/le/live/web\n    ca: missing-ca.pem\n",
			[]string{"line 4", "bundle 1 (web)", "missing-ca.pem does not exist"}},
		{"ca that is not PEM", "endpoints:\n  - {name: api, address: 'api:443', ca: not-pem.txt}\n",
			[]string{"line 2", "holds no PEM certificate"}},
		{"ca that is a directory", "endpoints:\n  - {name: api, address: 'api:443', ca: .}\n",
			[]string{"line 2", "a directory, not a regular file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "config.yaml")
			os.WriteFile(path, []byte(tt.cfg), 0o644)
			_, err := LoadFleet(path)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append(tt.want, path+":") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// A FIFO given as the config must not block certdeck: it is refused at
// once as not a regular file.
func TestLoadFleetRefusesAFIFOWithoutBlocking(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "config.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadFleet(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "FIFO") {
			t.Fatalf("LoadFleet(fifo) = %v, want a not-a-regular-file error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LoadFleet blocked on a FIFO")
	}
}

func TestParseTargetAcceptsHTTPSAsTLS(t *testing.T) {
	for in, want := range map[string]string{"https://example.com": "example.com:443", "https://example.com:8443/": "example.com:8443"} {
		tg, err := ParseTarget(in)
		if err != nil || tg.Protocol != ProtoTLS || tg.String() != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want TLS %s", in, tg, err, want)
		}
	}
}

// invalidConfigs are the shared refusal fixtures (see testdata/README.md).
func invalidConfigs(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "config", "invalid", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no invalid config fixtures: %v", err)
	}
	out := map[string]string{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(abs, ".yaml") + ".err")
		if err != nil {
			t.Fatal(err)
		}
		msg := strings.TrimSpace(string(want))
		msg = strings.ReplaceAll(msg, "$CONFIG", abs)
		out[abs] = strings.ReplaceAll(msg, "$DIR", filepath.Dir(abs))
	}
	return out
}

func TestInvalidConfigsAreRefusedAsDocumented(t *testing.T) {
	for path, want := range invalidConfigs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := LoadFleet(path)
			if err == nil || err.Error() != want {
				t.Fatalf("LoadFleet error\n got: %v\nwant: %s", err, want)
			}
		})
	}
}

// A malformed URL target is named once in its error, not once more by
// net/url ("parse \"…\": …").
func TestParseTargetNamesABadURLOnce(t *testing.T) {
	_, err := ParseTarget("tls://evil[x")
	if err == nil || strings.Count(err.Error(), "evil[x") != 1 || !strings.Contains(err.Error(), "invalid IP-literal") {
		t.Fatalf("ParseTarget error %v, want the address once and why", err)
	}
}
