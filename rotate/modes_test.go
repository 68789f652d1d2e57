package rotate

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// withUmask0 removes the umask for the test, so a file created with a wide
// mode would really get it: the umask must not be what keeps keys private.
func withUmask0(t *testing.T) {
	t.Helper()
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
}

func TestStagedKeyFilesAre0600FromTheirFirstByte(t *testing.T) {
	withUmask0(t)
	type created struct {
		name   string
		flag   int
		perm   os.FileMode
		atOpen os.FileMode // mode observed on disk the instant open returned
	}
	var mu sync.Mutex
	var seen []created
	orig := openFile
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := orig(name, flag, perm)
		if err == nil {
			st, serr := os.Lstat(name)
			if serr != nil {
				t.Errorf("stat %s right after create: %v", filepath.Base(name), serr)
			} else {
				mu.Lock()
				seen = append(seen, created{filepath.Base(name), flag, perm, st.Mode().Perm()})
				mu.Unlock()
			}
		}
		return f, err
	}
	t.Cleanup(func() { openFile = orig })

	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))

	private := map[string]bool{KeyFile: true, BundleFile: true}
	counts := map[string]int{}
	for _, c := range seen {
		counts[c.name]++
		if c.flag&os.O_EXCL == 0 || c.flag&os.O_CREATE == 0 {
			t.Errorf("%s created without O_CREATE|O_EXCL (flag %#x)", c.name, c.flag)
		}
		want := os.FileMode(0o644)
		if private[c.name] {
			want = 0o600
		}
		if c.perm != want || c.atOpen != want {
			t.Errorf("%s created with mode %v (on disk at creation %v), want %v", c.name, c.perm, c.atOpen, want)
		}
	}
	if counts[KeyFile] != 2 || counts[BundleFile] != 2 {
		t.Fatalf("key files created %d/%d times, want 2 each (did staging bypass openFile?)", counts[KeyFile], counts[BundleFile])
	}
	// Nothing chmods afterwards: the published modes are the creation modes.
	for name := range private {
		st, _ := os.Stat(filepath.Join(s.BundleDir("web"), "v0002", name))
		if st.Mode().Perm() != 0o600 {
			t.Errorf("published %s mode %v", name, st.Mode().Perm())
		}
	}
}

// TestAlsoWriteTempFileNeverWiderThan0600 watches the target directory with
// inotify and stats every file the moment it appears, while extra outputs
// are written repeatedly with the umask cleared.
func TestAlsoWriteTempFileNeverWiderThan0600(t *testing.T) {
	withUmask0(t)
	outDir := t.TempDir()
	// Under umask 0 the temp dir is 0777, a directory WriteFileAtomic
	// refuses to write a key in (others could plant the name).
	os.Chmod(outDir, 0o755)
	w, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add(outDir); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		observed int
		wide     []string
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events {
			if !ev.Has(fsnotify.Create) {
				continue
			}
			st, err := os.Lstat(ev.Name)
			if err != nil {
				continue // already renamed over the target
			}
			mu.Lock()
			observed++
			if st.Mode().Perm()&^0o600 != 0 {
				wide = append(wide, filepath.Base(ev.Name)+" "+st.Mode().Perm().String())
			}
			mu.Unlock()
		}
	}()
	target := filepath.Join(outDir, "mail.pem")
	leaf := issue(t, "mail.example.test")
	for range 50 {
		if _, err := WriteFileAtomic(target, leaf.KeyPEM(), privateMode); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond) // let the last events arrive
	w.Close()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(wide) > 0 {
		t.Fatalf("files wider than 0600 existed: %v", wide)
	}
	if observed == 0 {
		t.Fatal("never caught a temp file: the watch observed nothing")
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o600 {
		t.Fatalf("target mode %v", st.Mode().Perm())
	}
	t.Logf("observed %d temp files at creation, none wider than 0600", observed)
}
