package rotate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The attacker of these tests can write the store (or one bundle dir) and
// plants links so that root, publishing, writes or reads somewhere else.

func TestLockPlantedAsSymlinkIsRefusedAndItsTargetNeverCreated(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	dir := s.BundleDir("web")
	victim := filepath.Join(t.TempDir(), "etc-shadow-like")
	os.Remove(filepath.Join(dir, lockFile))
	if err := os.Symlink(victim, filepath.Join(dir, lockFile)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
	if !errors.Is(err, ErrUnsafeStore) || !strings.Contains(err.Error(), "is a symlink") {
		t.Fatalf("publish with a planted .lock link: err = %v, want a planted-link refusal", err)
	}
	if _, err := os.Lstat(victim); !os.IsNotExist(err) {
		t.Fatalf("the link's target was created (%v): root's lock open followed the link", err)
	}
	if !strings.Contains(err.Error(), "fix: rm "+filepath.Join(dir, lockFile)) {
		t.Errorf("error %q does not say how to fix it", err)
	}
	if got := currentTarget(t, dir); got != "v0001" {
		t.Fatalf("current -> %s", got)
	}
}

func TestSymlinkedBundleDirIsRefusedAndNothingIsWrittenThrough(t *testing.T) {
	s := newTestStore(t)
	os.MkdirAll(s.Dir, 0o755)
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, s.BundleDir("web")); err != nil {
		t.Fatal(err)
	}
	leaf := issue(t, "web.example.test")
	_, err := s.Publish(t.Context(), "web", inputsFor(leaf))
	if !errors.Is(err, ErrUnsafeStore) || !strings.Contains(err.Error(), "bundle dir") {
		t.Fatalf("publish into a symlinked bundle dir: err = %v, want a refusal", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Fatalf("the publish wrote through the link: %v", entries)
	}
	if _, err := s.Plan(t.Context(), "web", inputsFor(leaf)); !errors.Is(err, ErrUnsafeStore) {
		t.Errorf("plan on a symlinked bundle dir: err = %v, want the same refusal before anyone confirms", err)
	}
}

// TestOpenRefusesAVersionDirThatIsALink is the two-hop read: current ->
// v0002 is a plain name, but v0002 itself is a link out of the store.
func TestOpenRefusesAVersionDirThatIsALink(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	dir := s.BundleDir("web")
	outside := t.TempDir()
	writeVersion(t, outside, "v0009", map[string]string{CertFile: "outside", KeyFile: "outside"})
	if err := os.Symlink(filepath.Join(outside, "v0009"), filepath.Join(dir, "v0002")); err != nil {
		t.Fatal(err)
	}
	pointCurrent(t, dir, "v0002")
	if v, err := Open(dir); err == nil {
		b, _ := v.ReadFile(CertFile)
		v.Close()
		t.Fatalf("Open followed a version dir link and read %q from outside the store", b)
	} else if !strings.Contains(err.Error(), "is a symlink") {
		t.Fatalf("Open error %q does not name the link", err)
	}
	// Writers refuse it too, rather than roll back into it or prune through it.
	pointCurrent(t, dir, "v0001")
	if _, err := s.Rollback(t.Context(), "web", "v0002"); !errors.Is(err, ErrUnsafeStore) {
		t.Fatalf("rollback to a linked version: err = %v", err)
	}
	if _, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test"))); !errors.Is(err, ErrUnsafeStore) {
		t.Fatalf("publish beside a linked version: err = %v", err)
	}
}

func TestStoreAndBundleDirsWritableByOthersOrOwnedByAnotherUserAreRefused(t *testing.T) {
	cases := []struct {
		name    string
		spoil   func(t *testing.T, store, bundle string) string // returns the dir spoiled
		problem string
		fix     string
	}{
		{"store writable by all", func(t *testing.T, store, _ string) string { chmod(t, store, 0o777); return store },
			"writable by group and others (mode 0777)", "chmod go-w "},
		{"bundle writable by group", func(t *testing.T, _, bundle string) string { chmod(t, bundle, 0o775); return bundle },
			"writable by group (mode 0775)", "chmod go-w "},
		{"bundle owned by another user", func(t *testing.T, _, bundle string) string { chown(t, bundle, nobody); return bundle },
			"is owned by", "chown root "},
		{"store owned by another user", func(t *testing.T, store, _ string) string { chown(t, store, nobody); return store },
			"is owned by", "chown root "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t)
			mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
			mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
			spoiled := tc.spoil(t, s.Dir, s.BundleDir("web"))
			checks := map[string]error{}
			_, checks["publish"] = s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
			_, checks["rollback"] = s.Rollback(t.Context(), "web", "")
			_, checks["prune"] = s.Prune(t.Context(), "web")
			for op, err := range checks {
				if !errors.Is(err, ErrUnsafeStore) || !strings.Contains(err.Error(), tc.problem) ||
					!strings.Contains(err.Error(), "fix: "+tc.fix+spoiled) {
					t.Errorf("%s: err = %v, want %q and the fix %q", op, err, tc.problem, tc.fix+spoiled)
				}
			}
			if got := currentTarget(t, s.BundleDir("web")); got != "v0002" {
				t.Fatalf("current -> %s", got)
			}
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// chown gives path to uid; the test needs root (it runs as root here).
func chown(t *testing.T, path string, uid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving a directory to another user needs root")
	}
	if err := os.Chown(path, uid, -1); err != nil {
		t.Fatal(err)
	}
}

// A link in a sticky directory (/tmp) owned by another user leads to a
// safe directory now, but its owner may re-point it between the check
// and the use (and fs.protected_symlinks is off in many containers): it
// is refused, with the fix; the same link owned by us is followed.
func TestAnotherUsersLinkInAStickyDirIsNotFollowed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a link owned by another user")
	}
	sticky := t.TempDir()
	os.Chmod(sticky, 0o777|os.ModeSticky)
	safe := t.TempDir()
	link := filepath.Join(sticky, "hap")
	if err := os.Symlink(safe, link); err != nil {
		t.Fatal(err)
	}
	if err := checkDirChain("the runtime-API socket dir", link); err != nil {
		t.Fatalf("our own link to a safe dir refused: %v", err)
	}
	if err := os.Lchown(link, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	err := checkDirChain("the runtime-API socket dir", link)
	if !errors.Is(err, ErrUnsafeStore) || !strings.Contains(err.Error(), "symlink "+link+" on the way to the runtime-API socket dir is owned by nobody") ||
		!strings.Contains(err.Error(), "fix: chown -h root "+link) {
		t.Fatalf("another user's link in a sticky dir: %v", err)
	}
}
