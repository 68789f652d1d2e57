package rotate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config that defines what root runs is trusted only as StrictModes
// trusts authorized_keys: writable by group, owned by another user, or in
// a directory others may write, it is refused with the fix.
func TestCheckTrustedFileRefusesAConfigOthersCouldWrite(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(cfg, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrustedFile("config", cfg); err != nil {
		t.Fatalf("a 0644 config of ours in a 0700 dir: %v", err)
	}
	os.Chmod(cfg, 0o664)
	if err := CheckTrustedFile("config", cfg); !errors.Is(err, ErrUnsafeStore) || !strings.Contains(err.Error(), "is writable by group (mode 0664)") ||
		!strings.Contains(err.Error(), "because another user could change what it makes certdeck run") || !strings.Contains(err.Error(), "fix: chmod go-w "+cfg) {
		t.Fatalf("a group-writable config: %v", err)
	}
	os.Chmod(cfg, 0o644)
	os.Chmod(dir, 0o777)
	if err := CheckTrustedFile("config", cfg); !errors.Is(err, ErrUnsafeStore) || !strings.Contains(err.Error(), "directory "+dir+" above config") {
		t.Fatalf("a config in a directory others may write: %v", err)
	}
	os.Chmod(dir, 0o700)
	if os.Geteuid() == 0 {
		os.Chown(cfg, nobody, nobody)
		if err := CheckTrustedFile("config", cfg); !errors.Is(err, ErrUnsafeStore) || !strings.Contains(err.Error(), "is owned by nobody") {
			t.Fatalf("a config owned by nobody: %v", err)
		}
	}
}
