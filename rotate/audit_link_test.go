package rotate

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAuditLogThatIsASymlinkIsRefusedAndItsTargetUntouched: certdeck runs
// as root; an audit.log replaced by a link would have it append to (or
// create) whatever the link names. The publish still happens; the audit
// failure is a warning.
func TestAuditLogThatIsASymlinkIsRefusedAndItsTargetUntouched(t *testing.T) {
	s := newTestStore(t)
	os.MkdirAll(filepath.Dir(s.AuditLog), 0o700)
	victim := filepath.Join(t.TempDir(), "important.conf")
	os.WriteFile(victim, []byte("important\n"), 0o644)
	gone := filepath.Join(t.TempDir(), "created-by-root")
	for _, target := range []string{victim, gone} {
		os.Remove(s.AuditLog)
		if err := os.Symlink(target, s.AuditLog); err != nil {
			t.Fatal(err)
		}
		res := mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
		if w := strings.Join(res.Warnings, " "); !strings.Contains(w, "audit: "+s.AuditLog+" is a symlink") {
			t.Fatalf("warnings %q, want the audit link refused", res.Warnings)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "important\n" {
		t.Fatalf("the file the audit link names was appended to: %q", b)
	}
	if _, err := os.Lstat(gone); !os.IsNotExist(err) {
		t.Fatalf("the audit link's target was created: %v", err)
	}
}

// TestAuditLogThatIsNotARegularFileIsRefused: a device (here a null
// device made with mknod) in place of the log opens fine, and is refused
// once open rather than written to.
func TestAuditLogThatIsNotARegularFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := syscall.Mknod(path, syscall.S_IFCHR|0o600, 1<<8|3); err != nil {
		t.Skipf("cannot make a device node (needs root): %v", err)
	}
	err := appendAudit(path, AuditEntry{Time: time.Unix(0, 0), Action: "publish", Bundle: "web"})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a device as audit log: %v, want it refused", err)
	}
}
