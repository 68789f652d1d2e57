package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/probe/probetest"
)

// nginxFleet is a real nginx on 127.0.0.1 with three sites and a store
// of three bundles: "web" is served from the store's current/ (a reload
// picks up a publish), "stale" and "undo" from copies made at install
// time (a reload succeeds and changes nothing); undo has on_verify_fail:
// rollback. Reloads: exec `nginx -s reload` with the test's prefix, and
// signal HUP to the pid in nginx.pid.
type nginxFleet struct {
	config, store, ca string
	inter             *pki.CA
	nginx             *probetest.Nginx
}

func newNginxFleet(t *testing.T) *nginxFleet {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	root := pki.Must(pki.NewCA("nginx root"))
	f := &nginxFleet{store: filepath.Join(dir, "store"), ca: writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM()),
		inter: pki.Must(root.Intermediate("nginx inter"))}
	var sites []probetest.NginxSite
	for _, name := range []string{"web", "stale", "undo"} {
		f.rotate(t, name)
		cur := filepath.Join(f.store, name, "current")
		site := probetest.NginxSite{CertPath: filepath.Join(cur, "fullchain.pem"), KeyPath: filepath.Join(cur, "privkey.pem")}
		if name != "web" {
			// nginx was pointed at a copy, not at the store: a reload
			// re-reads the copy.
			copyDir := t.TempDir()
			for _, file := range []string{"fullchain.pem", "privkey.pem"} {
				data, err := os.ReadFile(filepath.Join(cur, file))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(copyDir, file), data)
			}
			site.CertPath, site.KeyPath = filepath.Join(copyDir, "fullchain.pem"), filepath.Join(copyDir, "privkey.pem")
		}
		sites = append(sites, site)
	}
	f.nginx = probetest.StartNginx(t, sites...)
	argv := `["` + strings.Join(f.nginx.ReloadArgv(), `", "`) + `"]`
	cfg := fmt.Sprintf(`defaults: {timeout: 3s}
reloads:
  - name: nginx
    exec: %s
  - name: nginx-hup
    signal: HUP
    pidfile: %s
endpoints:
`, argv, filepath.Join(f.nginx.Dir, "nginx.pid"))
	for i, name := range []string{"web", "stale", "undo"} {
		cfg += fmt.Sprintf("  - {name: %s, address: %s, sni: %s.test, ca: %s}\n", name, f.nginx.Servers[i].Addr, name, f.ca)
	}
	cfg += fmt.Sprintf(`bundles:
  - {name: web, path: %[1]s/web, layout: store, ca: %[2]s, serves: [web], reload: nginx}
  - {name: stale, path: %[1]s/stale, layout: store, ca: %[2]s, serves: [stale], reload: nginx, verify_timeout: 2s}
  - {name: undo, path: %[1]s/undo, layout: store, ca: %[2]s, serves: [undo], reload: nginx, verify_timeout: 2s, on_verify_fail: rollback}
`, f.store, f.ca)
	f.config = writeFile(t, filepath.Join(dir, "config.yaml"), []byte(cfg))
	return f
}

// rotate publishes a fresh certificate into bundle name with extra
// arguments, and returns the result and the new serial.
func (f *nginxFleet) rotate(t *testing.T, name string, extra ...string) (out string, code int, msg, serial string) {
	t.Helper()
	leaf := pki.Must(f.inter.Issue(pki.Options{DNSNames: []string{name + ".test"}}))
	dir := t.TempDir()
	args := append([]string{"rotate", name, "--store", f.store, "--ca", f.ca,
		"--fullchain", writeFile(t, filepath.Join(dir, "f.pem"), leaf.FullchainPEM()), "--key", writeFile(t, filepath.Join(dir, "k.pem"), leaf.KeyPEM())}, extra...)
	out, code, msg = runRotateCmd(t, args...)
	return out, code, msg, model.SerialHex(leaf.Cert.SerialNumber)
}

func (f *nginxFleet) current(t *testing.T, name string) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join(f.store, name, "current"))
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// nginx serving the store's current/: `rotate --reload` (the certbot
// deploy hook) and `certdeck reload` with exec, then with signal HUP,
// each verified by handshake.
func TestNginxRotateAndReloadAreVerified(t *testing.T) {
	f := newNginxFleet(t)
	out, code, msg, serial := f.rotate(t, "web", "--config", f.config, "--reload")
	if code != 0 || !strings.Contains(out, "published web: v0002") || !strings.Contains(out, "reload nginx (exec): ok") ||
		!strings.Contains(out, "web: verified: serves "+serial) {
		t.Fatalf("rotate --reload: code %d, out %q, err %q\nnginx log: %s", code, out, msg, readLog(f.nginx.ErrLog))
	}
	// A publish nobody reloaded, then `certdeck reload`.
	if _, code, msg, _ = f.rotate(t, "web"); code != 0 {
		t.Fatalf("plain rotate: %d %s", code, msg)
	}
	_, _, _, serial = f.rotate(t, "web")
	out, code, msg = runRotateCmd(t, "reload", "web", "--config", f.config)
	if code != 0 || !strings.Contains(out, "web: verified: serves "+serial) {
		t.Fatalf("reload web: code %d, out %q, err %q", code, out, msg)
	}
	// The same with signal HUP: the config's endpoint-level override.
	hup := strings.Replace(readLog(f.config), "serves: [web], reload: nginx}", "serves: [web], reload: nginx-hup}", 1)
	hupConfig := writeFile(t, filepath.Join(t.TempDir(), "hup.yaml"), []byte(hup))
	_, _, _, serial = f.rotate(t, "web")
	out, code, msg = runRotateCmd(t, "reload", "web", "--config", hupConfig)
	if code != 0 || !strings.Contains(out, "reload nginx-hup (signal): ok") || !strings.Contains(out, "web: verified: serves "+serial) {
		t.Fatalf("reload web by SIGHUP: code %d, out %q, err %q", code, out, msg)
	}
}

// nginx reading another file: the reload succeeds, the old certificate is
// still served: `still serving …`, exit 4, the store keeps the new
// version; with on_verify_fail: rollback the store is rolled back,
// reloaded, and the old serial verified: exit 5.
func TestNginxReloadThatLeavesTheOldCertificateIsCaught(t *testing.T) {
	f := newNginxFleet(t)
	old := servedSerial(t, f, "stale")
	out, code, msg, serial := f.rotate(t, "stale", "--config", f.config, "--reload")
	if code != actionNotVerified || !strings.Contains(out, fmt.Sprintf("stale: still serving %s (want %s)", old, serial)) {
		t.Fatalf("rotate stale --reload: code %d, out %q, err %q", code, out, msg)
	}
	if f.current(t, "stale") != "v0002" {
		t.Fatalf("stale rolled back to %s without on_verify_fail", f.current(t, "stale"))
	}
	old = servedSerial(t, f, "undo")
	out, code, msg, _ = f.rotate(t, "undo", "--config", f.config, "--reload")
	if code != actionRolledBack || !strings.Contains(out, "rolled back undo: v0001") || !strings.Contains(out, "  undo: verified: serves "+old) {
		t.Fatalf("rotate undo --reload: code %d, out %q, err %q", code, out, msg)
	}
	if f.current(t, "undo") != "v0001" {
		t.Fatalf("current %s after the automatic rollback, want v0001", f.current(t, "undo"))
	}
}

// servedSerial is what endpoint name presents now, probed directly.
func servedSerial(t *testing.T, f *nginxFleet, name string) string {
	t.Helper()
	fleet, err := model.LoadFleet(f.config)
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := fleet.EndpointByName(name)
	leaf := probe.ProbeEndpoint(t.Context(), ep, probe.ProbeOptions{}).Leaf()
	if leaf == nil {
		t.Fatalf("%s serves nothing", name)
	}
	return leaf.Serial
}

func readLog(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestNginxConfigTypoRollsBackToWhatItKeptServing: a typo in nginx's
// config makes `nginx -s reload` exit 1 on the publish and again on the
// automatic rollback, while nginx serves v0001 all along. The rollback
// is verified by handshake all the same: exit 5, "which is served
// (verified)", never ROLLBACK FAILED; the reload lines carry nginx's own
// words and the last line names the reload; the audit line records the
// rollback's probes.
func TestNginxConfigTypoRollsBackToWhatItKeptServing(t *testing.T) {
	f := newNginxFleet(t)
	cfg := strings.Replace(readLog(f.config), "serves: [web], reload: nginx}", "serves: [web], reload: nginx, verify_timeout: 2s, on_verify_fail: rollback}", 1)
	config := writeFile(t, filepath.Join(t.TempDir(), "rollback.yaml"), []byte(cfg))
	old := servedSerial(t, f, "web")
	conf, err := os.OpenFile(f.nginx.Conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conf.WriteString("this_is_broken;\n"); err != nil {
		t.Fatal(err)
	}
	conf.Close()

	out, code, msg, _ := f.rotate(t, "web", "--config", config, "--reload")
	if code != actionRolledBack {
		t.Fatalf("rotate web --reload: exit %d, want %d\n%s%s", code, actionRolledBack, out, msg)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if want := "publish web: ROLLED BACK: reload nginx failed; rolled back to v0001 (serial " + old + "), which is served (verified)"; !strings.HasPrefix(last, want) {
		t.Errorf("last line %q, want %q", last, want)
	}
	if strings.Contains(last, "exit status") || strings.Contains(out, "ROLLBACK FAILED") {
		t.Errorf("the result repeats the reload's error or shouts:\n%s", out)
	}
	if n := strings.Count(out, `[emerg] unknown directive "this_is_broken"`); n != 2 || !strings.Contains(out, "  web: verified: serves "+old) {
		t.Errorf("want nginx's words on both reload lines and the rollback verified:\n%s", out)
	}
	if f.current(t, "web") != "v0001" || servedSerial(t, f, "web") != old {
		t.Errorf("current %s, served %s; want v0001 and %s", f.current(t, "web"), servedSerial(t, f, "web"), old)
	}
	audit := strings.Split(strings.TrimSpace(readLog(filepath.Join(os.Getenv("XDG_STATE_HOME"), "certdeck", "audit.log"))), "\n")
	var entry struct {
		State, Result string
		Rollback      struct {
			Verify []struct {
				State, Serial string
				Attempts      int
			}
		}
	}
	if err := json.Unmarshal([]byte(audit[len(audit)-1]), &entry); err != nil {
		t.Fatal(err)
	}
	t.Logf("rotate web --reload with nginx's config broken:\n%s", out)
	if entry.State != "rolled-back" || len(entry.Rollback.Verify) != 1 || entry.Rollback.Verify[0].Attempts == 0 ||
		entry.Rollback.Verify[0].Serial != old || strings.Contains(entry.Result, "emerg") {
		t.Errorf("audit line %s", audit[len(audit)-1])
	}
}
