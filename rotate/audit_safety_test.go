package rotate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The audit log is the record of what root did: in a directory another
// user may write (root run with their $HOME), or a log file they own or
// may write, nothing is appended, and the publish says why; the publish
// itself stands.
func TestAuditLogOthersCouldWriteGetsNoLine(t *testing.T) {
	s := newTestStore(t)
	state := filepath.Dir(s.AuditLog)
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(state, 0o777)
	res := mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	if w := strings.Join(res.Warnings, "; "); !strings.Contains(w, "audit: audit log directory "+state) || !strings.Contains(w, "chmod go-w") {
		t.Fatalf("publish with the audit dir 0777: warnings %q", res.Warnings)
	}
	if _, err := os.Stat(s.AuditLog); !os.IsNotExist(err) {
		t.Fatalf("a line was appended in a directory others may write (%v)", err)
	}
	os.Chmod(state, 0o700)
	os.WriteFile(s.AuditLog, nil, 0o600)
	os.Chmod(s.AuditLog, 0o666)
	res = mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	if w := strings.Join(res.Warnings, "; "); !strings.Contains(w, "audit log "+s.AuditLog+" is writable by group and others") {
		t.Fatalf("publish with a 0666 audit log: warnings %q", res.Warnings)
	}
	if b, _ := os.ReadFile(s.AuditLog); len(b) != 0 {
		t.Fatalf("a line was appended to a log others may write")
	}
}
