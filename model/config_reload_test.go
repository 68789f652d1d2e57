package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const reloadsConfig = `
defaults: {verify_timeout: 45s}
reloads:
  - name: web-nginx
    exec: ["nginx", "-s", "reload"]
    env: {LANG: C}
    timeout: 10s
  - name: web-hup
    signal: sighup
    pidfile: /run/nginx.pid
  - name: edge-2
    ssh: {host: edge-2.example, user: deploy, known_hosts: /etc/ssh/ssh_known_hosts}
    command: ["sudo", "systemctl", "reload", "nginx"]
  - name: lb-api
    http: {url: "https://lb.example:9000/reload", bearer_env: LB_TOKEN}
  - name: lb-haproxy
    haproxy: {socket: "127.0.0.1:9999", crt: /etc/haproxy/certs/web.pem}
endpoints:
  - {name: web-1, address: 10.0.0.5:443}
  - {name: web-2, address: 10.0.0.6:443, reload: web-hup}
bundles:
  - name: web
    path: /srv/store/web
    layout: store
    serves: [web-1, web-2]
    reload: web-nginx
    on_verify_fail: rollback
  - name: edge
    path: /srv/edge.pem
    verify_timeout: 2m
`

// The five kinds resolve with their defaults; an endpoint's reload:
// overrides its bundle's; verify_timeout comes from the bundle, else
// defaults, else DefaultVerifyTimeout.
func TestReloadsResolveWithDefaultsAndEndpointOverride(t *testing.T) {
	f, err := ParseFleet([]byte(reloadsConfig), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Reloads) != 5 {
		t.Fatalf("%d reloads, want 5", len(f.Reloads))
	}
	get := func(name string) Reload {
		r, ok := f.ReloadByName(name)
		if !ok {
			t.Fatalf("reload %s missing", name)
		}
		return r
	}
	if r := get("web-nginx"); r.Kind != ReloadExec || r.Timeout != 10*time.Second || strings.Join(r.Exec, " ") != "nginx -s reload" || r.Env["LANG"] != "C" || r.Line != 4 {
		t.Errorf("web-nginx = %+v", r)
	}
	if r := get("web-hup"); r.Kind != ReloadSignal || r.Signal != "HUP" || r.Timeout != DefaultReloadTimeout {
		t.Errorf("web-hup = %+v, want signal HUP with the default timeout", r)
	}
	if r := get("edge-2"); r.Kind != ReloadSSH || r.SSH.Port != 22 || r.SSH.User != "deploy" || len(r.Command) != 4 {
		t.Errorf("edge-2 = %+v", r)
	}
	if r := get("lb-api"); r.Kind != ReloadHTTP || r.HTTP.Method != "POST" || r.HTTP.Expect != 200 || r.HTTP.BearerEnv != "LB_TOKEN" {
		t.Errorf("lb-api = %+v", r)
	}
	if r := get("lb-haproxy"); r.Kind != ReloadHAProxy || !r.HAProxy.IsTCPSocket() {
		t.Errorf("lb-haproxy = %+v", r)
	}
	web, _ := f.BundleByName("web")
	if web.OnVerifyFail != OnVerifyFailRollback || web.VerifyTimeout != 45*time.Second {
		t.Errorf("web = %+v, want rollback and the defaults' 45s", web)
	}
	if edge, _ := f.BundleByName("edge"); edge.VerifyTimeout != 2*time.Minute {
		t.Errorf("edge verify_timeout = %v, want its own 2m", edge.VerifyTimeout)
	}
	w1, _ := f.EndpointByName("web-1")
	w2, _ := f.EndpointByName("web-2")
	if ReloadFor(w1, web) != "web-nginx" || ReloadFor(w2, web) != "web-hup" {
		t.Errorf("ReloadFor: web-1 %q, web-2 %q; want the bundle's web-nginx and web-2's own web-hup", ReloadFor(w1, web), ReloadFor(w2, web))
	}
	if b, ok := f.BundleServing("web-2"); !ok || b.Name != "web" {
		t.Errorf("BundleServing(web-2) = %v %v", b.Name, ok)
	}
	f2, err := ParseFleet([]byte("bundles: [{path: /x}]\n"), "c.yaml")
	if err != nil || f2.Bundles[0].VerifyTimeout != DefaultVerifyTimeout {
		t.Errorf("no verify_timeout anywhere: %v %v, want %v", f2.Bundles[0].VerifyTimeout, err, DefaultVerifyTimeout)
	}
}

func TestReloadConfigErrorsNameTheKeyAndLine(t *testing.T) {
	tests := []struct {
		name, cfg string
		want      []string
	}{
		{"unknown reload on a bundle", "reloads:\n  - {name: a, exec: [x]}\nbundles:\n  - name: b\n    path: /x\n    reload: nope\n",
			[]string{"line 6", "bundle 1 (b)", `reload "nope" is not a configured reload`, "configured: a"}},
		{"unknown reload on an endpoint", "endpoints:\n  - address: x:1\n    reload: web\n",
			[]string{"line 3", `reload "web"`, "none are configured"}},
		{"two kinds", "reloads:\n  - name: a\n    exec: [x]\n    signal: HUP\n", []string{"line 4", "sets exec and signal", "exactly one kind"}},
		{"no kind", "reloads:\n  - name: a\n    timeout: 5s\n", []string{"line 2", "no kind: set one of"}},
		{"no name", "reloads:\n  - exec: [x]\n", []string{"reload 1 (#1)", "name is required"}},
		{"duplicate name", "reloads:\n  - {name: a, exec: [x]}\n  - name: a\n    signal: HUP\n    pidfile: /p\n",
			[]string{"line 3", `reload name "a" is used twice (also by reload 1 on line 2)`}},
		{"pidfile under exec", "reloads:\n  - name: a\n    exec: [x]\n    pidfile: /run/x.pid\n", []string{"line 4", "pidfile goes with signal, not with exec"}},
		{"signal without pidfile", "reloads:\n  - {name: a, signal: HUP}\n", []string{"signal needs pidfile"}},
		{"unknown signal", "reloads:\n  - {name: a, signal: KILLME, pidfile: /p}\n", []string{`signal "KILLME"`, "HUP"}},
		{"empty exec", "reloads:\n  - {name: a, exec: []}\n", []string{"exec: needs a program"}},
		{"exec as a string", "reloads:\n  - name: a\n    exec: systemctl reload nginx\n", []string{"line 3", "want a list", "no shell"}},
		{"ssh without command", "reloads:\n  - {name: a, ssh: {host: h}}\n", []string{"ssh reload needs command"}},
		{"ssh bad port", "reloads:\n  - name: a\n    ssh:\n      host: h\n      port: 70000\n    command: [x]\n", []string{"line 5", "port 70000"}},
		{"ssh unknown key", "reloads:\n  - name: a\n    ssh: {host: h, prot: 2}\n", []string{"line 3", `unknown key "prot" in ssh`}},
		{"credentials in url", "reloads:\n  - name: a\n    http:\n      url: https://u:secret@h/r\n", []string{"line 4", "carries credentials", "bearer_env"}},
		{"bearer over plain http", "reloads:\n  - name: a\n    http: {url: 'http://lb.example/r', bearer_env: T}\n", []string{"in the clear", "use https"}},
		{"bearer_env holding a token", "reloads:\n  - name: a\n    http: {url: 'https://h/r', bearer_env: 'abc-123'}\n", []string{`bearer_env "abc-123" is not a variable name`}},
		{"haproxy without crt", "reloads:\n  - name: a\n    haproxy: {socket: /run/h.sock}\n", []string{"crt is required"}},
		{"haproxy over the network", "reloads:\n  - name: a\n    haproxy: {socket: '10.0.0.7:9999', crt: /c.pem}\n", []string{"not on this machine", "private key"}},
		{"bad timeout", "reloads:\n  - name: a\n    exec: [x]\n    timeout: 2h\n", []string{"line 4", "at most 1h"}},
		{"bad on_verify_fail", "bundles:\n  - path: /s/web\n    layout: store\n    on_verify_fail: undo\n", []string{"line 4", `on_verify_fail "undo"`}},
		{"rollback needs a store", "bundles:\n  - path: /etc/letsencrypt/live/web\n    on_verify_fail: rollback\n", []string{"line 3", "needs layout: store"}},
		{"zero verify_timeout", "defaults:\n  verify_timeout: 0s\n", []string{"line 2", "defaults.verify_timeout"}},
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

// An ssh reload's identity and known_hosts must exist at load (a missing
// known_hosts would refuse every connection); a signal's pidfile need not
// (it exists only while the server runs). Relative paths are relative to
// the config file, ~/ is $HOME.
func TestLoadFleetChecksReloadFilesButNotPidfiles(t *testing.T) {
	dir := t.TempDir()
	home := t.TempDir()
	t.Setenv("HOME", home)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("id_ed25519", "not read")
	cfg := write("config.yaml", `reloads:
  - name: hup
    signal: HUP
    pidfile: run/nginx.pid
  - name: remote
    ssh: {host: h, identity: id_ed25519}
    command: [true]
`)
	_, err := LoadFleet(cfg)
	if err == nil || !strings.Contains(err.Error(), "line 6") || !strings.Contains(err.Error(), filepath.Join(home, ".ssh", "known_hosts")+" does not exist") ||
		!strings.Contains(err.Error(), "ssh-keyscan") {
		t.Fatalf("missing default known_hosts: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte("h ssh-ed25519 AAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFleet(cfg)
	if err != nil {
		t.Fatalf("with known_hosts in place: %v", err)
	}
	hup, _ := f.ReloadByName("hup")
	remote, _ := f.ReloadByName("remote")
	if hup.PIDFile != filepath.Join(dir, "run", "nginx.pid") || remote.SSH.Identity != filepath.Join(dir, "id_ed25519") {
		t.Errorf("paths not resolved against the config dir: pidfile %s, identity %s", hup.PIDFile, remote.SSH.Identity)
	}
	if err := os.Remove(filepath.Join(dir, "id_ed25519")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFleet(cfg); err == nil || !strings.Contains(err.Error(), "line 6") || !strings.Contains(err.Error(), "ssh identity file") {
		t.Fatalf("missing identity: %v", err)
	}
}
