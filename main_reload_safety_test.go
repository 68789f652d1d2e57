package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config others may write defines what certdeck runs: reload refuses it
// before running anything, and says how to fix it.
func TestReloadRefusesAConfigOthersCouldWrite(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	cfg := filepath.Join(dir, "fleet.yaml")
	os.WriteFile(cfg, []byte(`version: 1
reloads:
  - name: touch
    exec: ["/usr/bin/touch", "`+marker+`"]
endpoints:
  - name: web
    address: 127.0.0.1:1
    reload: touch
`), 0o600)
	os.Chmod(cfg, 0o666)
	_, code, msg := runRotateCmd(t, "reload", "web", "--config", cfg, "--timeout", "1s")
	if code != 3 || !strings.Contains(msg, "refusing to run the reloads it defines") || !strings.Contains(msg, "chmod go-w "+cfg) {
		t.Fatalf("reload from a 0666 config: code %d, err %q", code, msg)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the reload ran")
	}
	os.Chmod(cfg, 0o600)
	if _, _, msg := runRotateCmd(t, "reload", "web", "--config", cfg, "--timeout", "1s"); strings.Contains(msg, "refusing to run") {
		t.Fatalf("a 0600 config refused: %q", msg)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the reload from a 0600 config did not run: %v", err)
	}
}
