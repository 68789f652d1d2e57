package rotate

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"certdeck/model"

	"github.com/fsnotify/fsnotify"
)

// nobody is the uid and gid the ownership tests hand files to: any id
// other than root's will do, and 65534 exists on every Linux.
const nobody = 65534

// TestAlsoWriteKeepsOwnerGroupAndModeOfTheFileItReplaces is the Postfix
// case: /etc/postfix/web.pem is root:postfix 0640 so that smtpd, running
// as postfix, can read it. Replacing it must keep exactly that, even under
// a umask of 077, and no temporary file may ever be wider than 0640.
func TestAlsoWriteKeepsOwnerGroupAndModeOfTheFileItReplaces(t *testing.T) {
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	target := filepath.Join(dir, "web.pem")
	if err := os.WriteFile(target, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(target, 0o640) // the umask narrowed the create
	if err := os.Chown(target, 0, nobody); err != nil {
		t.Skipf("cannot give the file to group %d (needs root): %v", nobody, err)
	}
	wide := watchCreatedModes(t, dir, 0o640)

	s := newTestStore(t)
	leaf := issue(t, "mail.example.test")
	in := inputsFor(leaf)
	in.AlsoWrite = []string{target}
	res := mustPublish(t, s, "mail", in)
	if len(res.AlsoFailed) != 0 || len(res.AlsoWritten) != 1 {
		t.Fatalf("also-write: written %v, failed %v", res.AlsoWritten, res.AlsoFailed)
	}
	st, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if st.Mode().Perm() != 0o640 || sys.Uid != 0 || sys.Gid != nobody {
		t.Fatalf("replaced file is %v uid %d gid %d, want 0640 uid 0 gid %d", st.Mode().Perm(), sys.Uid, sys.Gid, nobody)
	}
	b, _ := os.ReadFile(target)
	if p, err := model.ParsePEM(b); err != nil || p.Key == nil {
		t.Fatalf("replaced file does not hold the new key + chain: %v", err)
	}
	if w := wide(); len(w) > 0 {
		t.Fatalf("files wider than 0640 existed beside the target: %v", w)
	}
}

// watchCreatedModes stats every file created in dir the moment inotify
// reports it; the returned func stops watching and lists those whose mode
// had bits outside max.
func watchCreatedModes(t *testing.T, dir string, max os.FileMode) func() []string {
	t.Helper()
	w, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(dir); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		wide []string
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events {
			if !ev.Has(fsnotify.Create) {
				continue
			}
			if st, err := os.Lstat(ev.Name); err == nil && st.Mode().Perm()&^max != 0 {
				mu.Lock()
				wide = append(wide, filepath.Base(ev.Name)+" "+st.Mode().Perm().String())
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		time.Sleep(100 * time.Millisecond) // let the last events arrive
		w.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return wide
	}
}

// TestAlsoWriteRefusesASymlinkAndLeavesWhatItNamesAlone: a user who can
// place a link where root writes the key would choose which file root
// overwrites (a config, /etc/shadow); the link is refused, not followed,
// and neither it nor the file it names changes. A link that names nothing
// is refused too, so root never creates the file it names.
func TestAlsoWriteRefusesASymlinkAndLeavesWhatItNamesAlone(t *testing.T) {
	base := t.TempDir()
	links, victims := filepath.Join(base, "conf"), filepath.Join(base, "etc")
	os.Mkdir(links, 0o755)
	os.Mkdir(victims, 0o755)
	victim := filepath.Join(victims, "important.conf")
	os.WriteFile(victim, []byte("important\n"), 0o644)
	link := filepath.Join(links, "web.pem")
	dangling := filepath.Join(links, "gone.pem")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(victims, "gone.pem"), dangling)

	s := newTestStore(t)
	in := inputsFor(issue(t, "mail.example.test"))
	in.AlsoWrite = []string{link, dangling}
	res := mustPublish(t, s, "mail", in)

	if len(res.AlsoWritten) != 0 || len(res.AlsoFailed) != 2 {
		t.Fatalf("also written %v, failed %+v; want both links refused", res.AlsoWritten, res.AlsoFailed)
	}
	for i, f := range res.AlsoFailed {
		if f.Path != in.AlsoWrite[i] || !strings.Contains(f.Error, f.Path+" is a symlink") || strings.Contains(f.Error, "PRIVATE KEY") {
			t.Errorf("refusal %+v, want it to name the link and say it is one", f)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "important\n" {
		t.Fatal("the file the link names was overwritten")
	}
	if st, _ := os.Stat(victim); st.Mode().Perm() != 0o644 {
		t.Fatalf("the file the link names changed mode: %v", st.Mode().Perm())
	}
	if _, err := os.Lstat(filepath.Join(victims, "gone.pem")); !os.IsNotExist(err) {
		t.Fatalf("the dangling link's target was created: %v", err)
	}
	for _, l := range []string{link, dangling} {
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s is no longer the link: %v", l, err)
		}
	}
	if entries, _ := os.ReadDir(links); len(entries) != 2 {
		t.Errorf("temp files left in %s: %v", links, entries)
	}
}

// TestAlsoWriteRefusesUnsafeTargets: the target must not be something that
// hands the key to someone else, and must sit in a directory (and below
// directories) nobody but root and us can write; otherwise nothing is
// written, the refusal names the path and says why, and whatever was there
// stays as it was.
func TestAlsoWriteRefusesUnsafeTargets(t *testing.T) {
	root := os.Geteuid() == 0
	cases := []struct {
		name      string
		needRoot  bool
		setup     func(t *testing.T, dir string) (target string)
		wantError string
	}{
		{"existing file owned by another user", true, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "postfix.pem")
			os.WriteFile(p, []byte("old"), 0o600)
			os.Chown(p, nobody, nobody)
			return p
		}, "is owned by"},
		{"a directory where the file should be", false, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "postfix.pem")
			os.Mkdir(p, 0o700)
			return p
		}, "is not a regular file"},
		{"target dir sticky and world-writable, like /tmp", false, func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "pubaw")
			os.Mkdir(d, 0o755)
			os.Chmod(d, 0o777|os.ModeSticky)
			return filepath.Join(d, "postfix.pem")
		}, "is writable by group and others (mode 1777)"},
		{"target dir group-writable", false, func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "grp")
			os.Mkdir(d, 0o755)
			os.Chmod(d, 0o775)
			return filepath.Join(d, "postfix.pem")
		}, "is writable by group (mode 0775)"},
		{"target dir owned by another user", true, func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "theirs")
			os.Mkdir(d, 0o755)
			os.Chown(d, nobody, nobody)
			return filepath.Join(d, "postfix.pem")
		}, "is owned by"},
		{"a directory above writable by others", false, func(t *testing.T, dir string) string {
			pub := filepath.Join(dir, "pub")
			os.MkdirAll(filepath.Join(pub, "postfix"), 0o755)
			os.Chmod(pub, 0o777)
			return filepath.Join(pub, "postfix", "web.pem")
		}, "directory " + "PUB" + " above directory"},
		// out -> pub/x -> real: neither the path as named nor the one it
		// resolves to passes through pub, but the link in it can be
		// swapped by whoever writes pub (seen raced: root wrote the key
		// into another service's directory).
		{"a link on the way that lives in a directory others can write", false, func(t *testing.T, dir string) string {
			pub, real := filepath.Join(dir, "pub"), filepath.Join(dir, "real")
			os.Mkdir(pub, 0o755)
			os.Mkdir(real, 0o755)
			os.Chmod(pub, 0o777)
			os.Symlink(real, filepath.Join(pub, "x"))
			os.Symlink(filepath.Join("pub", "x"), filepath.Join(dir, "out"))
			return filepath.Join(dir, "out", "web.pem")
		}, "directory " + "PUB" + " above directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needRoot && !root {
				t.Skip("needs root to hand files to another user")
			}
			dir := t.TempDir()
			target := tc.setup(t, dir)
			want := strings.ReplaceAll(tc.wantError, "PUB", filepath.Join(dir, "pub"))
			before, _ := os.Lstat(target)
			beforeData, _ := os.ReadFile(target)
			leaf := issue(t, "mail.example.test")
			_, err := WriteFileAtomic(target, leaf.KeyPEM(), privateMode)
			if err == nil || !strings.Contains(err.Error(), "write "+target+": ") || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want a refusal naming %s and saying %q", err, target, want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatal("the refusal quotes the key")
			}
			after, aerr := os.Lstat(target)
			switch {
			case before == nil && aerr == nil:
				t.Fatal("the refused target was created")
			case before != nil && (aerr != nil || !os.SameFile(before, after)):
				t.Fatal("the refused target was replaced")
			}
			if b, _ := os.ReadFile(target); string(b) != string(beforeData) {
				t.Fatal("the refused target's content changed")
			}
			if entries, _ := os.ReadDir(filepath.Dir(target)); len(entries) > 1 {
				t.Errorf("files left beside the target: %v", entries)
			}
		})
	}
}

// TestAlsoWriteAcceptsTargetsBelowAStickyDirectory: /tmp (1777) above the
// target's own, safe directory is fine: nobody else can rename that
// directory away. And a file owned by us keeps its group.
func TestAlsoWriteAcceptsTargetsBelowAStickyDirectory(t *testing.T) {
	sticky := filepath.Join(t.TempDir(), "tmp")
	os.Mkdir(sticky, 0o755)
	chmod(t, sticky, 0o777|os.ModeSticky)
	dir := filepath.Join(sticky, "postfix")
	os.Mkdir(dir, 0o755)
	target := filepath.Join(dir, "web.pem")
	leaf := issue(t, "mail.example.test")
	if _, err := WriteFileAtomic(target, leaf.KeyPEM(), privateMode); err != nil {
		t.Fatalf("a safe dir below a sticky one: %v", err)
	}
	if st, err := os.Stat(target); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new output: %v, %v; want 0600", st, err)
	}
}

// A target named through "..": filepath.Dir cleans "lnk/.." away, the
// kernel resolves it through lnk, so the directory judged would not be
// the one written in. It is refused, naming the clean path to give.
func TestAlsoWriteRefusesAPathThatIsNotClean(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.Symlink(sub, filepath.Join(dir, "lnk"))
	target := dir + "/lnk/../web.pem"
	_, err := WriteFileAtomic(target, issue(t, "mail.example.test").KeyPEM(), privateMode)
	if err == nil || !strings.Contains(err.Error(), "name it as "+filepath.Join(dir, "web.pem")) {
		t.Fatalf("err = %v, want a refusal naming the clean path", err)
	}
	for _, d := range []string{dir, sub} {
		if _, err := os.Lstat(filepath.Join(d, "web.pem")); err == nil {
			t.Fatalf("%s/web.pem was written", d)
		}
	}
}
