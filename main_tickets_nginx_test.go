package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/demo/pki"
	"certdeck/probe/probetest"
)

// TestTicketsRotatePoolOfThreeNginx: `certdeck tickets rotate NAME` on a
// ticket_keys entry serving three real nginx, each with its own reload:
// edge-3's reload fails, so phase 2 is refused (exit 1, nothing
// rotated) and the output says which member and why; with its reload
// fixed, both phases run, each member is verified encrypting with the
// promoted key (exit 0), and the audit log has one line per run.
func TestTicketsRotatePoolOfThreeNginx(t *testing.T) {
	probetest.RequireBinary(t, "nginx")
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	dir := t.TempDir()
	keys := filepath.Join(dir, "tickets")
	if out, errOut, code := runTickets(t, "tickets", "init", "--dir", keys, "--format", "nginx80"); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	root := pki.Must(pki.NewCA("tickets root"))
	leaf := pki.Must(root.Issue(pki.Options{DNSNames: []string{"edge.test"}}))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	site := probetest.NginxSite{FullchainPEM: leaf.FullchainPEM(), KeyPEM: leaf.KeyPEM(),
		TicketKeyFiles: []string{filepath.Join(keys, "current.key"), filepath.Join(keys, "next.key"), filepath.Join(keys, "previous.key")}}
	quote := func(argv []string) string { return `["` + strings.Join(argv, `", "`) + `"]` }
	var argvs [][]string
	var endpoints strings.Builder
	for i := range 3 {
		ngx := probetest.StartNginx(t, site)
		argvs = append(argvs, ngx.ReloadArgv())
		fmt.Fprintf(&endpoints, "  - {name: edge-%d, address: %s, sni: edge.test, ca: %s, reload: reload-%d}\n", i+1, ngx.Servers[0].Addr, ca, i+1)
	}
	config := filepath.Join(dir, "config.yaml")
	writeConfig := func(edge3Broken bool) {
		var reloads strings.Builder
		for i, argv := range argvs {
			argv = append([]string(nil), argv...)
			if i == 2 && edge3Broken {
				argv[4] = filepath.Join(dir, "missing.conf") // -c names a config that is not there
			}
			fmt.Fprintf(&reloads, "  - {name: reload-%d, exec: %s}\n", i+1, quote(argv))
		}
		cfg := "defaults: {timeout: 3s}\nreloads:\n" + reloads.String() + "endpoints:\n" + endpoints.String() +
			"ticket_keys:\n  - {name: edge-tickets, dir: " + keys + ", format: nginx80, rotate_every: 12h, ticket_lifetime: 5m, serves: [edge-1, edge-2, edge-3]}\n"
		if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(true)

	dry, _, code := runTickets(t, "--config", config, "tickets", "rotate", "edge-tickets", "--dry-run")
	if code != 0 || !strings.Contains(dry, "phase 1, edge-3") || !strings.Contains(dry, "phase 2: previous.key ← current.key") {
		t.Fatalf("--dry-run: exit %d\n%s", code, dry)
	}
	before, _ := os.ReadFile(filepath.Join(keys, "current.key"))
	out, errOut, code := runTickets(t, "--config", config, "tickets", "rotate", "edge-tickets")
	if code != 1 || !strings.Contains(errOut, "phase 2 refused: edge-3") || !strings.Contains(errOut, "missing.conf") {
		t.Fatalf("rotate with edge-3's reload broken: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "edge-1") || !strings.Contains(out, "phase 1") {
		t.Fatalf("no per-member progress:\n%s", out)
	}
	if now, _ := os.ReadFile(filepath.Join(keys, "current.key")); string(now) != string(before) {
		t.Fatal("a refused phase 2 rotated the keys")
	}
	t.Logf("refused run:\n%s%s", out, errOut)

	writeConfig(false)
	out, errOut, code = runTickets(t, "--config", config, "tickets", "rotate", "edge-tickets")
	if code != 0 || strings.Count(out, "verified") < 3 {
		t.Fatalf("rotate after the fix: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("successful run:\n%s", out)
	audit, _ := os.ReadFile(filepath.Join(state, "certdeck", "audit.log"))
	lines := strings.Split(strings.TrimSpace(string(audit)), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit lines: %d\n%s", len(lines), audit)
	}
	var last struct {
		Action, State string
		Verify        []struct{ Endpoint, State string }
	}
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil || last.Action != "ticket-rotate" || last.State != "ok" || len(last.Verify) != 3 {
		t.Fatalf("audit line: %v\n%s", err, lines[1])
	}
}
