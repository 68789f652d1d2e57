package main

import (
	"path/filepath"
	"strings"
	"testing"

	"certdeck/model"
)

// TestTicketsInitNamesAHostileDirOnOneLine: `tickets init --dir` with a
// newline in the dir prints it sanitised: no line of stdout or stderr
// starts with what followed the newline, and the tmpfs advice (when the
// dir is on a disk) quotes it for a shell and for fstab.
func TestTicketsInitNamesAHostileDirOnOneLine(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), "a b;\ninclude /tmp/evil")
	out, errOut, code := runTickets(t, "tickets", "init", "--dir", dir, "--format", "nginx80")
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	if first, _, _ := strings.Cut(out, "\n"); first != "created nginx80 keys in "+model.Sanitize(dir) {
		t.Errorf("first line %q: want the dir sanitised on it", first)
	}
	for _, l := range strings.Split(out+errOut, "\n") {
		if strings.HasPrefix(l, "include") {
			t.Errorf("a line starts with what followed the dir's newline: %q", l)
		}
	}
	if strings.Contains(errOut, "mount -t tmpfs") {
		if !strings.Contains(errOut, "tmpfs "+model.ShellWords(dir)+" (noswap") || !strings.Contains(errOut, `a\040b;\012include\040/tmp/evil tmpfs`) {
			t.Errorf("the tmpfs advice does not quote the dir for a shell and for fstab:\n%s", errOut)
		}
	}
	// show's convert hint, through the CLI's error path.
	_, errOut, code = runTickets(t, "tickets", "show", "--dir", dir, "--haproxy")
	if code == 0 || !strings.Contains(errOut, "tickets convert --dir "+model.ShellWords(dir)+" --format nginx80") {
		t.Errorf("show --haproxy: exit %d, %q: want the convert hint with the dir as a shell word", code, errOut)
	}
}
