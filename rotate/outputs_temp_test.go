package rotate

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestAlsoWriteRemovesTheTempFileAKilledRunLeft: a run killed after writing
// its temp file and before the rename leaves the whole key beside the
// target. The next write of that target removes it, and nothing else: not
// a link of that name (removing is harmless, but it is not ours), not
// another user's file, not another target's temp, not a name that only
// looks alike.
func TestAlsoWriteRemovesTheTempFileAKilledRunLeft(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "postfix.pem")
	write := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("key of a killed run"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := write(".certdeck-postfix.pem.tmp-0123456789ab")
	partial := write(".certdeck-postfix.pem.tmp-ba9876543210")
	os.Truncate(partial, 0) // killed before the write
	kept := []string{
		write(".certdeck-other.pem.tmp-0123456789ab"),   // another target's
		write(".certdeck-postfix.pem.tmp-0123456789"),   // too short
		write(".certdeck-postfix.pem.tmp-0123456789AB"), // not ours: upper case
		write("postfix.pem.tmp-0123456789ab"),           // no prefix
	}
	link := filepath.Join(dir, ".certdeck-postfix.pem.tmp-aaaaaaaaaaaa")
	if err := os.Symlink(kept[0], link); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, link)
	if os.Geteuid() == 0 {
		theirs := write(".certdeck-postfix.pem.tmp-bbbbbbbbbbbb")
		if err := os.Chown(theirs, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, theirs)
	}

	var created []string
	prev := openFile
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		created = append(created, filepath.Base(name))
		return prev(name, flag, perm)
	}
	t.Cleanup(func() { openFile = prev })

	if _, err := WriteFileAtomic(target, issue(t, "mail.example.test").KeyPEM(), privateMode); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{stale, partial} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("the leftover %s is still there (%v)", filepath.Base(p), err)
		}
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	if len(created) != 1 || !isOutputTemp(created[0], "postfix.pem") {
		t.Fatalf("temp files created %q, want one named .certdeck-postfix.pem.tmp-<12 hex digits>", created)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if slices.Contains(names, created[0]) {
		t.Errorf("this run's temp file %s was left behind", created[0])
	}
}
