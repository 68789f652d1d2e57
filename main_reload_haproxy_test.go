package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// TestHAProxySocketInAWritableDirRefusesThePublish: a real HAProxy whose
// stats socket's directory is chmod 777. `rotate --reload` (and its
// --dry-run) is refused before anything changes, saying why and the
// chmod that fixes it: the store keeps v0001, HAProxy keeps serving it
// and holds no transaction. With the directory fixed the same command
// publishes, swaps the certificate over the runtime API and verifies it.
func TestHAProxySocketInAWritableDirRefusesThePublish(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	root := pki.Must(pki.NewCA("haproxy root"))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	store := filepath.Join(dir, "store")
	publish := func(extra ...string) (string, int, string, string) {
		t.Helper()
		leaf := pki.Must(root.Issue(pki.Options{DNSNames: []string{"lb.test"}}))
		d := t.TempDir()
		args := append([]string{"rotate", "lb", "--store", store, "--ca", ca,
			"--fullchain", writeFile(t, filepath.Join(d, "f.pem"), leaf.FullchainPEM()), "--key", writeFile(t, filepath.Join(d, "k.pem"), leaf.KeyPEM())}, extra...)
		out, code, msg := runRotateCmd(t, args...)
		return out, code, msg, model.SerialHex(leaf.Cert.SerialNumber)
	}
	if out, code, msg, _ := publish(); code != 0 {
		t.Fatalf("first publish: %d %s%s", code, out, msg)
	}
	first, err := os.ReadFile(filepath.Join(store, "lb", "current", "fullchain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(store, "lb", "current", "privkey.pem"))
	if err != nil {
		t.Fatal(err)
	}
	h := probetest.StartHAProxy(t, probetest.HAProxySite{FullchainPEM: first, KeyPEM: key})
	config := writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Appendf(nil, `reloads:
  - {name: lb-haproxy, haproxy: {socket: %s, crt: %s}}
endpoints:
  - {name: lb, address: %s, sni: lb.test, ca: %s}
bundles:
  - {name: lb, path: %s, layout: store, ca: %s, serves: [lb], reload: lb-haproxy, verify_timeout: 5s}
`, h.Socket, h.Servers[0].CrtFile, h.Servers[0].Addr, ca, filepath.Join(store, "lb"), ca))
	cur := func() string {
		t.Helper()
		target, err := os.Readlink(filepath.Join(store, "lb", "current"))
		if err != nil {
			t.Fatal(err)
		}
		return target
	}
	if err := os.Chmod(h.Dir, 0o777); err != nil {
		t.Fatal(err)
	}
	fix := "chmod go-w " + h.Dir

	out, code, msg, _ := publish("--config", config, "--reload", "--dry-run")
	if code != storeRefused || !strings.Contains(out, "refused: reload cannot run") || !strings.Contains(out, fix) {
		t.Fatalf("--dry-run: exit %d, want %d naming %q\n%s%s", code, storeRefused, fix, out, msg)
	}
	out, code, msg, _ = publish("--config", config, "--reload")
	if code != storeRefused || !strings.Contains(msg, fix) || !strings.Contains(msg, "refusing to send keys to "+h.Socket) ||
		strings.Contains(out+msg, "abort") || strings.Contains(out+msg, "published") {
		t.Fatalf("rotate --reload: exit %d, want %d refused before publishing\n%s%s", code, storeRefused, out, msg)
	}
	if cur() != "v0001" {
		t.Errorf("current %s after a refused publish, want v0001", cur())
	}
	if pending := h.Command(t, "show ssl cert"); strings.Contains(pending, "# transaction") {
		t.Errorf("a transaction was opened:\n%s", pending)
	}

	if err := os.Chmod(h.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, code, msg, serial := publish("--config", config, "--reload")
	if code != 0 || !strings.Contains(out, "reload lb-haproxy (haproxy): ok") || !strings.Contains(out, "lb: verified: serves "+serial) {
		t.Fatalf("rotate --reload with the dir fixed: exit %d\n%s%s", code, out, msg)
	}
}
