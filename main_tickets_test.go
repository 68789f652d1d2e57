package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/model"
)

// runTickets runs a command line through run() and returns stdout, stderr
// and the exit status.
func runTickets(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// secretForms are every printable form of the secret halves of the raw
// keys in dir (everything after each key's 16 name bytes).
func secretForms(t *testing.T, dir string) []string {
	t.Helper()
	var forms []string
	for _, name := range []string{"current.key", "next.key", "previous.key"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		secret := raw[16:]
		forms = append(forms, hex.EncodeToString(secret[:12]), base64.StdEncoding.EncodeToString(secret[:12]), string(secret[:12]))
	}
	return forms
}

func TestTicketsCommandsInitRotateShowConvert(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	dir := filepath.Join(t.TempDir(), "edge")
	out, _, code := runTickets(t, "tickets", "init", "--dir", dir, "--format", "nginx80")
	if code != 0 || !strings.Contains(out, "created nginx80 keys") {
		t.Fatalf("init: exit %d\n%s", code, out)
	}
	if _, errOut, code := runTickets(t, "tickets", "init", "--dir", dir, "--format", "nginx80"); code != 1 || !strings.Contains(errOut, "already holds") {
		t.Fatalf("second init: exit %d %s", code, errOut)
	}
	show, _, code := runTickets(t, "tickets", "show", "--dir", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("show: exit %d", code)
	}
	var rep struct {
		Format string
		Keys   []struct{ Role, Name string }
		Files  []struct{ Name, Mode string } // mode "0600", as check's JSON says a bundle file's
	}
	if err := json.Unmarshal([]byte(show), &rep); err != nil || rep.Format != "nginx80" || len(rep.Keys) != 3 || rep.Keys[0].Role != "current" ||
		len(rep.Files) != 3 || rep.Files[0].Mode != "0600" {
		t.Fatalf("show --format json: %v\n%s", err, show)
	}
	oldCurrent, oldNext := rep.Keys[0].Name, rep.Keys[1].Name

	dry, _, code := runTickets(t, "tickets", "rotate", "--dir", dir, "--dry-run")
	if code != 0 || !strings.Contains(dry, "dry run") || !strings.Contains(dry, model.ShortKeyName(oldNext)+" starts encrypting") {
		t.Fatalf("dry run: exit %d\n%s", code, dry)
	}
	if _, errOut, code := runTickets(t, "--read-only", "tickets", "rotate", "--dir", dir); code != 1 || !strings.Contains(errOut, "read-only") {
		t.Fatalf("--read-only rotate: exit %d %s", code, errOut)
	}
	out, _, code = runTickets(t, "tickets", "rotate", "--dir", dir) // format from the meta file
	if code != 0 || !strings.Contains(out, model.ShortKeyName(oldCurrent)+" → "+model.ShortKeyName(oldNext)) {
		t.Fatalf("rotate: exit %d\n%s", code, out)
	}
	if _, errOut, code := runTickets(t, "tickets", "rotate", "--dir", dir, "--ticket-lifetime", "5m"); code != 1 || !strings.Contains(errOut, "may still decrypt tickets until") {
		t.Fatalf("rotate inside the ticket lifetime: exit %d %s", code, errOut)
	}
	// Each rotation that began is one audit line: the done one, the
	// refused one; names only.
	audit, _ := os.ReadFile(filepath.Join(state, "certdeck", "audit.log"))
	if lines := strings.Split(strings.TrimSpace(string(audit)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"action":"ticket-rotate"`) ||
		!strings.Contains(lines[0], oldNext) || !strings.Contains(lines[1], "previous key in use") {
		t.Fatalf("audit log:\n%s", audit)
	}
	lines, _, code := runTickets(t, "tickets", "show", "--dir", dir, "--nginx")
	if code != 0 || !strings.Contains(strings.Split(lines, "\n")[1], "ssl_session_ticket_key "+filepath.Join(dir, "current.key")+";") {
		t.Fatalf("--nginx: exit %d\n%s", code, lines)
	}
	hk := filepath.Join(t.TempDir(), "hk")
	if out, errOut, code := runTickets(t, "tickets", "convert", "--dir", dir, "--to", hk, "--to-format", "haproxy"); code != 0 {
		t.Fatalf("convert: exit %d\n%s%s", code, out, errOut)
	}
	if lines, _, code := runTickets(t, "tickets", "show", "--dir", hk, "--haproxy"); code != 0 || !strings.Contains(lines, "tls-ticket-keys "+filepath.Join(hk, "tls-ticket-keys")) {
		t.Fatalf("--haproxy: exit %d\n%s", code, lines)
	}
	if _, errOut, code := runTickets(t, "tickets", "show", "--dir", hk, "--nginx"); code != 1 || !strings.Contains(errOut, "certdeck tickets convert") {
		t.Fatalf("--nginx on haproxy keys: exit %d %s", code, errOut)
	}

	// Nothing any of these printed holds a secret byte.
	var all strings.Builder
	for _, args := range [][]string{
		{"tickets", "show", "--dir", dir}, {"tickets", "show", "--dir", dir, "--format", "json"},
		{"tickets", "rotate", "--dir", dir, "--dry-run"}, {"tickets", "show", "--dir", hk, "--format", "json"},
	} {
		o, e, _ := runTickets(t, args...)
		all.WriteString(o + e)
	}
	all.WriteString(out + show + dry + lines)
	for _, f := range secretForms(t, dir) {
		if strings.Contains(all.String(), f) {
			t.Fatal("a tickets command printed secret key bytes")
		}
	}
}

func TestTicketsCommandsNeverGuessA48ByteFormat(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	for _, n := range []string{"current.key", "next.key", "previous.key"} {
		os.WriteFile(filepath.Join(dir, n), bytes.Repeat([]byte{7}, 48), 0o600)
	}
	_, errOut, code := runTickets(t, "tickets", "rotate", "--dir", dir)
	if code != 1 || !strings.Contains(errOut, "nginx48 or apache48") {
		t.Fatalf("rotate of unknown 48-byte keys: exit %d %s", code, errOut)
	}
	if _, _, code := runTickets(t, "tickets", "show", "--dir", dir, "--key-format", "apache48"); code != 0 {
		t.Fatalf("show --key-format apache48: exit %d", code)
	}
	if _, _, code := runTickets(t, "tickets", "init", "--dir", dir); code != usageExit {
		t.Fatalf("init without --format: exit %d, want %d", code, usageExit)
	}
}

func TestTicketsCommandsUseTheConfiguredEntry(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("ticket_keys:\n  - {name: edge, dir: keys, format: haproxy, rotate_every: 12h, ticket_lifetime: 10m}\n"), 0o600)
	if out, errOut, code := runTickets(t, "--config", cfg, "tickets", "init", "edge"); code != 0 || !strings.Contains(out, "created haproxy keys in "+keys) {
		t.Fatalf("init edge: exit %d\n%s%s", code, out, errOut)
	}
	// Right after init the previous key never encrypted: it may go. Then
	// the configured ticket_lifetime guards the key that did.
	if _, errOut, code := runTickets(t, "--config", cfg, "tickets", "rotate", "edge"); code != 0 {
		t.Fatalf("first rotation of edge: exit %d %s", code, errOut)
	}
	if _, errOut, code := runTickets(t, "--config", cfg, "tickets", "rotate", "edge"); code != 1 || !strings.Contains(errOut, "ticket_lifetime 10m") {
		t.Fatalf("second rotation right after the first: exit %d %s", code, errOut)
	}
	show, _, _ := runTickets(t, "--config", cfg, "tickets", "show", "edge")
	if !strings.Contains(show, "next rotation due") {
		t.Fatalf("show edge has no due time from rotate_every:\n%s", show)
	}
	if _, errOut, code := runTickets(t, "--config", cfg, "tickets", "show", "nope"); code != usageExit || !strings.Contains(errOut, `no ticket_keys entry "nope"`) {
		t.Fatalf("unknown entry: exit %d %s", code, errOut)
	}
}

// TestCheckSaysOnceThatKeyAgesAreNotKept: without a state dir there is no
// ticket history; check says so once and still checks.
func TestCheckSaysOnceThatKeyAgesAreNotKept(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	_, errOut, code := runTickets(t, "check", "127.0.0.1:1", "--timeout", "2s")
	if code != 2 || strings.Count(errOut, "ticket key ages are not kept across runs") != 1 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestTicketsCommandsMakeARelativeDirAbsolute: --dir tk (and convert's
// --to) is the absolute dir everywhere it is named afterwards: the tmpfs
// advice's mount command and fstab line, show's JSON "dir", the rotation's
// lines and its audit line.
func TestTicketsCommandsMakeARelativeDirAbsolute(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	work := t.TempDir()
	t.Chdir(work)
	abs := filepath.Join(work, "tk")
	out, errOut, code := runTickets(t, "tickets", "init", "--dir", "tk", "--format", "nginx80")
	if code != 0 || !strings.Contains(out, "created nginx80 keys in "+abs+"\n") {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	// The advice appears only off tmpfs; where it does, it names abs.
	if strings.Contains(errOut, "mount -t tmpfs") &&
		(!strings.Contains(errOut, "tmpfs "+abs+" (") || !strings.Contains(errOut, `"tmpfs `+abs+` tmpfs `)) {
		t.Errorf("the tmpfs advice names a relative dir:\n%s", errOut)
	}
	show, _, _ := runTickets(t, "tickets", "show", "--dir", "tk", "--format", "json")
	var rep struct{ Dir string }
	if err := json.Unmarshal([]byte(show), &rep); err != nil || rep.Dir != abs {
		t.Errorf("show --format json: dir %q, want %q (%v)", rep.Dir, abs, err)
	}
	if out, errOut, code := runTickets(t, "tickets", "rotate", "--dir", "tk"); code != 0 || !strings.Contains(out, "ticket-rotate "+abs+": rotated") {
		t.Fatalf("rotate: exit %d\n%s%s", code, out, errOut)
	}
	audit, _ := os.ReadFile(filepath.Join(state, "certdeck", "audit.log"))
	var ent struct {
		Subject string
		Steps   []struct{ Target string }
	}
	if err := json.Unmarshal(audit, &ent); err != nil || ent.Subject != abs || len(ent.Steps) == 0 || ent.Steps[0].Target != abs {
		t.Errorf("audit line names %q / %+v, want %s (%v):\n%s", ent.Subject, ent.Steps, abs, err, audit)
	}
	if out, errOut, code := runTickets(t, "tickets", "convert", "--dir", "tk", "--to", "hk", "--to-format", "haproxy"); code != 0 ||
		!strings.Contains(out, "as haproxy keys in "+filepath.Join(work, "hk")+" ") {
		t.Errorf("convert --to hk: exit %d\n%s%s", code, out, errOut)
	}
}
