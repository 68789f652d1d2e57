package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/demo/pki"
)

// TestDryRunRefusalsSayRefusedOnce: a plan that would be refused prints
// "refused: <reason>: …" once, for a publish whose chain does not verify
// and for a ticket rotation inside ticket_lifetime.
func TestDryRunRefusalsSayRefusedOnce(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	root := pki.Must(pki.NewCA("cli root"))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	good := pki.Must(root.Issue(pki.Options{DNSNames: []string{"cli.example.test"}}))
	alien := pki.Must(pki.Must(pki.NewCA("stranger")).Issue(pki.Options{DNSNames: []string{"cli.example.test"}}))
	if out, code, msg := runRotateCmd(t, "rotate", "cli", "--store", store, "--fullchain", writeFile(t, filepath.Join(dir, "good.pem"), good.FullchainPEM()),
		"--key", writeFile(t, filepath.Join(dir, "good.key"), good.KeyPEM()), "--ca", ca); code != 0 {
		t.Fatalf("first publish: %d %s %s", code, out, msg)
	}
	keys := filepath.Join(dir, "keys")
	if out, errOut, code := runTickets(t, "tickets", "init", "--dir", keys, "--format", "nginx80"); code != 0 {
		t.Fatalf("tickets init: %d %s%s", code, out, errOut)
	}
	if out, errOut, code := runTickets(t, "tickets", "rotate", "--dir", keys); code != 0 {
		t.Fatalf("tickets rotate: %d %s%s", code, out, errOut)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		reason string
	}{
		{"publish, unknown authority", []string{"rotate", "cli", "--store", store, "--fullchain", writeFile(t, filepath.Join(dir, "alien.pem"), alien.FullchainPEM()),
			"--key", writeFile(t, filepath.Join(dir, "alien.key"), alien.KeyPEM()), "--ca", ca, "--dry-run"}, "refused: chain broken: "},
		{"ticket rotation inside ticket_lifetime", []string{"tickets", "rotate", "--dir", keys, "--ticket-lifetime", "5m", "--dry-run"}, "refused: previous key in use: "},
		{"rollback with nothing to go back to", []string{"rollback", "cli", "--store", store, "--dry-run"}, "refused: no such version: "},
		{"rollback to a version that is not there", []string{"rollback", "cli", "--store", store, "--to", "v0009", "--dry-run"}, "refused: no such version: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runTickets(t, tc.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
			}
			if !strings.Contains(out, "\n  "+tc.reason) || strings.Contains(out+errOut, "refused: refused") {
				t.Fatalf("the plan does not say %q once:\n%s%s", tc.reason, out, errOut)
			}
			// Said once: on the plan's line, not again on stderr; and no
			// step towards a target that is not there.
			if strings.Contains(errOut, tc.reason) || strings.Contains(out, "→ \n") || strings.Contains(out, "(none)") {
				t.Fatalf("a refused plan printed a step or said it twice:\n%s---\n%s", out, errOut)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(store, "cli", "v0002")); err == nil {
		t.Fatal("a dry run published")
	}
}
