package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// hostileName carries an OSC that retitles the terminal and a bidi
// override, as an attacker-minted certificate may.
const hostileName = "evil\x1b]0;pwned\a\u202egnp.test"

func TestStoreRefusalsReachTheTerminalSanitised(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	root := pki.Must(pki.NewCA("cli root"))
	inter := pki.Must(root.Intermediate(hostileName))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	both := pki.Must(inter.Issue(pki.Options{DNSNames: []string{"cli.example.test", "evil\x1b]0;pwned\a.test"}}))
	fewer := pki.Must(inter.Issue(pki.Options{DNSNames: []string{"cli.example.test"}}))
	stranger := pki.Must(pki.NewCA(hostileName))
	alien := pki.Must(stranger.Issue(pki.Options{DNSNames: []string{"cli.example.test"}}))
	reversed := append(append([]byte{}, both.ChainPEM()...), both.CertPEM()...)

	full := func(name string, pem []byte) string { return writeFile(t, filepath.Join(dir, name), pem) }
	if out, code, msg := runRotateCmd(t, "rotate", "cli", "--store", store, "--fullchain", full("both.pem", both.FullchainPEM()),
		"--key", full("both.key", both.KeyPEM()), "--ca", ca); code != 0 {
		t.Fatalf("first publish: %d %s %s", code, out, msg)
	}
	cases := []struct{ name, fullchain, key, reason string }{
		{"names lost", full("fewer.pem", fewer.FullchainPEM()), full("fewer.key", fewer.KeyPEM()), "names lost"},
		{"unknown authority", full("alien.pem", alien.FullchainPEM()), full("alien.key", alien.KeyPEM()), "unknown authority"},
		{"chain order", full("reversed.pem", reversed), full("both.key", both.KeyPEM()), "chain broken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code, msg := runRotateCmd(t, "rotate", "cli", "--store", store, "--fullchain", tc.fullchain, "--key", tc.key, "--ca", ca)
			if code != 1 || !strings.Contains(msg, tc.reason) {
				t.Fatalf("code %d, err %q; want a %s refusal", code, msg, tc.reason)
			}
			if strings.ContainsAny(out+msg, "\x1b\a\u202e") {
				t.Fatalf("raw escapes reach the terminal: %q", msg)
			}
			if !strings.Contains(msg, `evil\x1b]0;pwned\x07`) {
				t.Errorf("the hostile name is not shown visibly escaped: %q", msg)
			}
		})
	}
}

func TestRotateGoingBackwardsIsRefusedAndIdenticalIsAlreadyCurrent(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	root := pki.Must(pki.NewCA("cli root"))
	inter := pki.Must(root.Intermediate("cli inter"))
	now := time.Now()
	long := pki.Must(inter.Issue(pki.Options{DNSNames: []string{"cli.example.test"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)}))
	short := pki.Must(inter.Issue(pki.Options{DNSNames: []string{"cli.example.test"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(20 * 24 * time.Hour)}))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	args := func(l *pki.Leaf, n string, extra ...string) []string {
		return append([]string{"rotate", "cli", "--store", store, "--ca", ca,
			"--fullchain", writeFile(t, filepath.Join(dir, n+".pem"), l.FullchainPEM()),
			"--key", writeFile(t, filepath.Join(dir, n+".key"), l.KeyPEM())}, extra...)
	}
	if _, code, msg := runRotateCmd(t, args(long, "long")...); code != 0 {
		t.Fatalf("first publish: %d %s", code, msg)
	}
	out, code, msg := runRotateCmd(t, args(long, "long")...)
	if code != 0 || !strings.Contains(out, "already current v0001") {
		t.Fatalf("identical republish: code %d, out %q, err %q; want exit 0 and already current v0001", code, out, msg)
	}
	if _, code, msg = runRotateCmd(t, args(short, "short")...); code != 1 || !strings.Contains(msg, "--allow-shorter") {
		t.Fatalf("shorter publish: code %d, err %q; want a refusal naming --allow-shorter", code, msg)
	}
	if out, code, msg = runRotateCmd(t, args(short, "short", "--allow-shorter")...); code != 0 || !strings.Contains(out, "published cli: v0002") {
		t.Fatalf("--allow-shorter: code %d, out %q, err %q", code, out, msg)
	}
}

func TestRotateExitsNonZeroWhenAnExtraOutputFails(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	root := pki.Must(pki.NewCA("cli root"))
	leaf := pki.Must(root.Issue(pki.Options{DNSNames: []string{"mail.example.test"}}))
	good := filepath.Join(dir, "good.pem")
	stale := filepath.Join(dir, "postfix") // a directory where a file is expected
	os.Mkdir(stale, 0o755)
	out, code, msg := runRotateCmd(t, "rotate", "mail", "--store", filepath.Join(dir, "store"),
		"--ca", writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM()),
		"--fullchain", writeFile(t, filepath.Join(dir, "f.pem"), leaf.FullchainPEM()),
		"--key", writeFile(t, filepath.Join(dir, "k.pem"), leaf.KeyPEM()),
		"--also-write", good, "--also-write", stale)
	if code != 2 {
		t.Fatalf("code %d (out %q, err %q), want 2: published, an extra output stale", code, out, msg)
	}
	if !strings.Contains(out, "published mail: v0001") || !strings.Contains(msg, "mail v0001 is current") || !strings.Contains(msg, stale) {
		t.Fatalf("out %q, err %q: want the publish reported and the failed output named", out, msg)
	}
	if _, err := os.Stat(good); err != nil {
		t.Fatalf("the output that could be written was not: %v", err)
	}
}

func TestStorePruneCommand(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	root := pki.Must(pki.NewCA("cli root"))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	for i := range 4 {
		l := pki.Must(root.Issue(pki.Options{DNSNames: []string{"cli.example.test"}}))
		n := fmt.Sprint(i)
		if _, code, msg := runRotateCmd(t, "rotate", "cli", "--store", store, "--ca", ca, "--keep", "10",
			"--fullchain", writeFile(t, filepath.Join(dir, n+".pem"), l.FullchainPEM()),
			"--key", writeFile(t, filepath.Join(dir, n+".key"), l.KeyPEM())); code != 0 {
			t.Fatalf("publish %d: %s", i, msg)
		}
	}
	// Versions replaced within the last minute are kept for readers still
	// holding them; these were replaced an hour ago.
	hourAgo := time.Now().Add(-time.Hour)
	for _, v := range []string{"v0001", "v0002", "v0003", "v0004"} {
		os.Chtimes(filepath.Join(store, "cli", v), hourAgo, hourAgo)
	}
	if _, code, msg := runRotateCmd(t, "--read-only", "store", "prune", "cli", "--store", store, "--keep", "1"); code != 1 || !strings.Contains(msg, "read-only") {
		t.Fatalf("read-only prune: code %d, err %q", code, msg)
	}
	out, code, msg := runRotateCmd(t, "store", "prune", "cli", "--store", store, "--keep", "1")
	if code != 0 || !strings.Contains(out, "pruned cli: v0001 (beyond the newest 1 good version), v0002 (beyond the newest 1 good version); kept v0003 (rollback target), v0004 (current, one of the newest 1 good version)") {
		t.Fatalf("prune --keep 1: code %d, out %q, err %q; want v0001 v0002 gone and current with the rollback target kept, each with why", code, out, msg)
	}
	audit, _ := os.ReadFile(filepath.Join(state, "certdeck", "audit.log"))
	lines := strings.Split(strings.TrimSpace(string(audit)), "\n")
	var last struct {
		Action string   `json:"action"`
		Pruned []string `json:"pruned"`
		Result string   `json:"result"`
	}
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if last.Action != "prune" || len(last.Pruned) != 2 || last.Result != "ok" {
		t.Fatalf("last audit line %q, want the prune", lines[len(lines)-1])
	}
	if out, code, _ = runRotateCmd(t, "store", "prune", "cli", "--store", store, "--keep", "1"); code != 0 || !strings.Contains(out, "nothing to prune") {
		t.Fatalf("second prune: code %d, out %q", code, out)
	}
}

// Paths given relative to where rotate ran are recorded absolute: the
// audit line's target and the version's source must mean the same from
// any other directory.
func TestRotateRecordsRelativePathsAbsolute(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	dir := t.TempDir()
	t.Chdir(dir)
	root := pki.Must(pki.NewCA("cli root"))
	leaf := pki.Must(root.Issue(pki.Options{DNSNames: []string{"rel.example.test"}}))
	writeFile(t, "ca.pem", root.RootPEM())
	writeFile(t, "full.pem", leaf.FullchainPEM())
	writeFile(t, "key.pem", leaf.KeyPEM())
	if out, code, msg := runRotateCmd(t, "rotate", "rel", "--store", "store", "--fullchain", "full.pem", "--key", "key.pem", "--ca", "ca.pem"); code != 0 {
		t.Fatalf("rotate: exit %d %q\n%s", code, msg, out)
	}
	audit, err := os.ReadFile(filepath.Join(state, "certdeck", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(audit), filepath.Join(dir, "store")) {
		t.Errorf("audit line does not name the store by its absolute path %s:\n%s", filepath.Join(dir, "store"), audit)
	}
	out, code, msg := runRotateCmd(t, "store", "ls", "rel", "--store", "store", "--format", "json")
	if code != 0 || !strings.Contains(out, filepath.Join(dir, "full.pem")) {
		t.Errorf("store ls: exit %d %q; want the source %s:\n%s", code, msg, filepath.Join(dir, "full.pem"), out)
	}
}

// store ls and store prune find a store bundle through the config, as
// rotate and rollback do: no --store needed when the config names it.
func TestStoreLsAndPruneTakeTheStoreFromTheConfig(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	root := pki.Must(pki.NewCA("cli root"))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	var serials []string
	for i := range 3 {
		l := pki.Must(root.Issue(pki.Options{DNSNames: []string{"cli.example.test"}}))
		serials = append(serials, model.SerialHex(l.Cert.SerialNumber))
		n := fmt.Sprint(i)
		if _, code, msg := runRotateCmd(t, "rotate", "cli", "--store", store, "--ca", ca, "--keep", "10",
			"--fullchain", writeFile(t, filepath.Join(dir, n+".pem"), l.FullchainPEM()),
			"--key", writeFile(t, filepath.Join(dir, n+".key"), l.KeyPEM())); code != 0 {
			t.Fatalf("publish %d: %s", i, msg)
		}
	}
	cfg := writeFile(t, filepath.Join(dir, "fleet.yaml"), []byte(`version: 1
endpoints:
  - name: cli
    address: 127.0.0.1:1
bundles:
  - name: cli
    path: `+filepath.Join(store, "cli")+`
    layout: store
    ca: `+ca+`
  - name: plain
    path: `+dir+`
    layout: pair
    cert: 0.pem
    key: 0.key
`))
	out, code, msg := runRotateCmd(t, "store", "ls", "--config", cfg)
	if code != 0 || !strings.Contains(out, "v0003") || !strings.Contains(out, "v0001") || !strings.Contains(out, serials[2]) {
		t.Fatalf("store ls --config: code %d, out %q, err %q", code, out, msg)
	}
	if _, code, msg := runRotateCmd(t, "store", "ls", "plain", "--config", cfg); code != 3 || !strings.Contains(msg, "bundle plain has layout pair, not store") {
		t.Fatalf("store ls of a pair bundle: code %d, err %q", code, msg)
	}
	if _, code, msg := runRotateCmd(t, "store", "ls", "nosuch", "--config", cfg); code != 3 || !strings.Contains(msg, `no bundle "nosuch" in the config`) {
		t.Fatalf("store ls of an unknown bundle: code %d, err %q", code, msg)
	}
	hourAgo := time.Now().Add(-time.Hour)
	for _, v := range []string{"v0001", "v0002", "v0003"} {
		os.Chtimes(filepath.Join(store, "cli", v), hourAgo, hourAgo)
	}
	out, code, msg = runRotateCmd(t, "store", "prune", "cli", "--config", cfg, "--keep", "1")
	if code != 0 || !strings.Contains(out, "pruned cli: v0001") {
		t.Fatalf("store prune --config: code %d, out %q, err %q", code, out, msg)
	}
}
