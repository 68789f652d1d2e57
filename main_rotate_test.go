package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/demo/pki"
	"certdeck/model"
)

// runRotateCmd runs a certdeck command line and returns combined output,
// the exit code run() would return, and the error text.
func runRotateCmd(t *testing.T, args ...string) (string, int, string) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	code, msg := 0, ""
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code, msg = ee.code, err.Error()
	case err != nil:
		code, msg = usageExit, err.Error()
	}
	return out.String(), code, msg
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRotateRollbackStoreCommands(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	root := pki.Must(pki.NewCA("cli root"))
	inter := pki.Must(root.Intermediate("cli inter"))
	l1 := pki.Must(inter.Issue(pki.Options{DNSNames: []string{"cli.example.test"}}))
	l2 := pki.Must(inter.Issue(pki.Options{DNSNames: []string{"cli.example.test"}}))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	cert1 := writeFile(t, filepath.Join(dir, "cert1.pem"), l1.CertPEM())
	chain1 := writeFile(t, filepath.Join(dir, "chain1.pem"), l1.ChainPEM())
	key1 := writeFile(t, filepath.Join(dir, "key1.pem"), l1.KeyPEM())
	full2 := writeFile(t, filepath.Join(dir, "full2.pem"), l2.FullchainPEM())
	key2 := writeFile(t, filepath.Join(dir, "key2.pem"), l2.KeyPEM())

	out, code, msg := runRotateCmd(t, "rotate", "cli", "--store", store, "--cert", cert1, "--chain", chain1, "--key", key1, "--ca", ca)
	if code != 0 || !strings.Contains(out, "published cli: v0001") {
		t.Fatalf("first rotate: code %d, out %q, err %q", code, out, msg)
	}
	// Refusal: exit 1, the reason, nothing printed from the key.
	out, code, msg = runRotateCmd(t, "rotate", "cli", "--store", store, "--fullchain", full2, "--key", key1, "--ca", ca)
	if code != 1 || !strings.Contains(msg, "key mismatch") {
		t.Fatalf("mismatched rotate: code %d, err %q", code, msg)
	}
	if strings.Contains(out+msg, "PRIVATE KEY") {
		t.Fatal("key material in output")
	}
	// certbot deploy-hook mode through $RENEWED_LINEAGE.
	lineage := filepath.Join(dir, "live")
	os.Mkdir(lineage, 0o755)
	writeFile(t, filepath.Join(lineage, "fullchain.pem"), l2.FullchainPEM())
	writeFile(t, filepath.Join(lineage, "privkey.pem"), l2.KeyPEM())
	t.Setenv("RENEWED_LINEAGE", lineage)
	if out, code, msg = runRotateCmd(t, "rotate", "cli", "--store", store, "--from-certbot", "--ca", ca); code != 0 || !strings.Contains(out, "v0002") {
		t.Fatalf("from-certbot: code %d, out %q, err %q", code, out, msg)
	}
	if _, code, msg = runRotateCmd(t, "rotate", "cli", "--store", store, "--fullchain", full2, "--key", key2, "--ca", ca, "--cert", cert1); code != usageExit {
		t.Fatalf("--fullchain with --cert: code %d (%s), want usage error", code, msg)
	}

	if out, code, msg = runRotateCmd(t, "rollback", "cli", "--store", store); code != 0 || !strings.Contains(out, "rolled back cli: v0001") {
		t.Fatalf("rollback: code %d, out %q, err %q", code, out, msg)
	}
	if _, code, msg = runRotateCmd(t, "--read-only", "rollback", "cli", "--store", store, "--to", "v0002"); code != 1 || !strings.Contains(msg, "read-only") {
		t.Fatalf("read-only rollback: code %d, err %q", code, msg)
	}

	out, code, msg = runRotateCmd(t, "store", "ls", "--store", store, "--format", "json")
	if code != 0 {
		t.Fatalf("store ls: %d %s", code, msg)
	}
	var rows []struct {
		Version string `json:"version"`
		Current bool   `json:"current"`
		Serial  string `json:"serial"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("store ls json: %v\n%s", err, out)
	}
	if len(rows) != 2 || !rows[0].Current || rows[1].Current ||
		rows[0].Serial != model.SerialHex(l1.Cert.SerialNumber) || rows[1].Serial != model.SerialHex(l2.Cert.SerialNumber) {
		t.Fatalf("store ls rows = %+v", rows)
	}
}
