package rotate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSignalReloadRefusesAPidFileThatIsASymlink: the owner and mode checks
// judge the pid file, so a link in its place (planted by whoever may write
// its directory) would have them judge any root-owned file holding a pid
// of the planter's choosing. The link is refused, not followed, even when
// it names a good pid file; that file itself is still accepted.
func TestSignalReloadRefusesAPidFileThatIsASymlink(t *testing.T) {
	h := startHUPCounter(t)
	link := filepath.Join(t.TempDir(), "nginx.pid")
	if err := os.Symlink(h.pidFile, link); err != nil {
		t.Fatal(err)
	}
	res := signalReloadFor(t, "HUP", link).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "pid file "+link+": a symlink") {
		t.Fatalf("a pid file that is a link: %v, want it refused", res.Err)
	}
	if got := h.signals(0); len(got) != 0 {
		t.Fatalf("the process behind the link was signalled: %q", got)
	}
	if res := signalReloadFor(t, "HUP", h.pidFile).Run(context.Background()); !res.OK() {
		t.Fatalf("the pid file itself: %v", res.Err)
	}
}
