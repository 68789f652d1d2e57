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

// TestAlsoWriteThroughASymlinkReplacesTheFileItNames: an output managed as
// a link (web.pem -> ../private/web.pem) stays a link; the file it names is
// replaced in its own directory. A link that names nothing is refused, and
// the refusal is reported as a failed output, not a silent success.
func TestAlsoWriteThroughASymlinkReplacesTheFileItNames(t *testing.T) {
	base := t.TempDir()
	links, private := filepath.Join(base, "conf"), filepath.Join(base, "private")
	os.Mkdir(links, 0o755)
	os.Mkdir(private, 0o700)
	real := filepath.Join(private, "web.pem")
	os.WriteFile(real, []byte("old"), 0o600)
	link := filepath.Join(links, "web.pem")
	if err := os.Symlink("../private/web.pem", link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(links, "gone.pem")
	os.Symlink("../private/gone.pem", dangling)

	s := newTestStore(t)
	in := inputsFor(issue(t, "mail.example.test"))
	in.AlsoWrite = []string{link, dangling}
	res := mustPublish(t, s, "mail", in)

	if target, err := os.Readlink(link); err != nil || target != "../private/web.pem" {
		t.Fatalf("the link was replaced: readlink = %q, %v", target, err)
	}
	if b, _ := os.ReadFile(real); !strings.Contains(string(b), "PRIVATE KEY") {
		t.Fatal("the file the link names was not replaced")
	}
	if len(res.AlsoWritten) != 1 || res.AlsoWritten[0] != link {
		t.Errorf("also written %v, want the link", res.AlsoWritten)
	}
	if len(res.AlsoFailed) != 1 || res.AlsoFailed[0].Path != dangling || !strings.Contains(res.AlsoFailed[0].Error, "does not resolve") {
		t.Fatalf("dangling link: failed %+v, want it refused", res.AlsoFailed)
	}
	if target, err := os.Readlink(dangling); err != nil || target != "../private/gone.pem" {
		t.Fatalf("the dangling link was replaced: %q, %v", target, err)
	}
	for _, d := range []string{links, private} {
		if entries, _ := os.ReadDir(d); len(entries) != map[string]int{links: 2, private: 1}[d] {
			t.Errorf("temp files left in %s: %v", d, entries)
		}
	}
}
