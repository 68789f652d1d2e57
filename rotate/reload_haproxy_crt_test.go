package rotate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHAProxyReloadSendsNothingWhenTheCrtFileCannotBeSafelyReplaced: the
// crt file is replaced as --also-write replaces files, so one that
// WriteFileAtomic would refuse (here a link someone planted) is refused
// before the transaction: a swap the disk cannot follow would be reverted
// by the next restart, and root must not write the key through the link.
func TestHAProxyReloadSendsNothingWhenTheCrtFileCannotBeSafelyReplaced(t *testing.T) {
	f := newHAProxyFixture(t, "unix")
	victim := filepath.Join(t.TempDir(), "important.conf")
	os.WriteFile(victim, []byte("important\n"), 0o644)
	os.Remove(f.crt)
	if err := os.Symlink(victim, f.crt); err != nil {
		t.Fatal(err)
	}
	res := f.reload(t, f.newPEM, true, time.Second).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), f.crt+" is a symlink") || !strings.Contains(res.Err.Error(), "nothing sent") {
		t.Fatalf("a crt that is a link: %v, want it refused before anything is sent", res.Err)
	}
	f.noKeyLines(t, "the error", res.Err.Error())
	if cmds, _, _ := f.api.state(); len(cmds) != 0 {
		t.Errorf("commands were sent: %q", cmds)
	}
	if b, _ := os.ReadFile(victim); !bytes.Equal(b, []byte("important\n")) {
		t.Fatal("the file the link names was overwritten")
	}
}
