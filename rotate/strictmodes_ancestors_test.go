package rotate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/model"
)

// The attacker of these tests cannot write the store or key dir itself,
// but can write a directory above it: renaming the subtree away and
// putting one of their own in its place is as good as writing it.

// ancestorCase is one way to leave the directory pub above a store or key
// dir, whether that is refused, and what the refusal must say.
type ancestorCase struct {
	name    string
	mode    os.FileMode
	owner   int // -1: unchanged
	refused bool
	problem string
}

var ancestorCases = []ancestorCase{
	{name: "world-writable, not sticky", mode: 0o777, owner: -1, refused: true, problem: "writable by group and others (mode 0777) and is not sticky"},
	{name: "group-writable, not sticky", mode: 0o775, owner: -1, refused: true, problem: "writable by group (mode 0775) and is not sticky"},
	{name: "owned by another user", mode: 0o755, owner: nobody, refused: true, problem: "is owned by"},
	{name: "world-writable and sticky, like /tmp", mode: 0o777 | os.ModeSticky, owner: -1},
	{name: "safe", mode: 0o755, owner: -1},
}

func (c ancestorCase) spoil(t *testing.T, dir string) {
	t.Helper()
	if c.owner >= 0 {
		chown(t, dir, c.owner)
	}
	chmod(t, dir, c.mode)
	t.Cleanup(func() { os.Chmod(dir, 0o755); os.Chown(dir, os.Geteuid(), -1) })
}

func (c ancestorCase) check(t *testing.T, op string, err error, pub string) {
	t.Helper()
	if !c.refused {
		if err != nil {
			t.Fatalf("%s under a %s directory: %v, want it accepted", op, c.name, err)
		}
		return
	}
	var se *StoreSafetyError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "directory "+pub+" above") || !strings.Contains(err.Error(), c.problem) {
		t.Fatalf("%s under a %s directory: err = %v, want %q about %s", op, c.name, err, c.problem, pub)
	}
}

func TestStoreBelowADirectoryOthersCanWriteIsRefused(t *testing.T) {
	for _, tc := range ancestorCases {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			pub := filepath.Join(base, "pub")
			os.Mkdir(pub, 0o755)
			s := newTestStore(t)
			s.Dir = filepath.Join(pub, "a", "store")
			mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
			tc.spoil(t, pub)
			_, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
			tc.check(t, "publish", err, pub)
			_, err = s.Rollback(t.Context(), "web", "")
			if tc.refused {
				tc.check(t, "rollback", err, pub)
				if got := currentTarget(t, s.BundleDir("web")); got != "v0001" {
					t.Fatalf("current -> %s after refusals", got)
				}
			}
		})
	}
}

// TestStoreReachedThroughALinkInADirectoryOthersCanWriteIsRefused: the
// store resolves to a safe place, but the link leading there sits in a
// directory anyone may write, so anyone may point it elsewhere.
func TestStoreReachedThroughALinkInADirectoryOthersCanWriteIsRefused(t *testing.T) {
	base := t.TempDir()
	real, pub := filepath.Join(base, "real"), filepath.Join(base, "pub")
	os.Mkdir(real, 0o755)
	os.Mkdir(pub, 0o755)
	if err := os.Symlink(real, filepath.Join(pub, "link")); err != nil {
		t.Fatal(err)
	}
	s := newTestStore(t)
	s.Dir = filepath.Join(pub, "link", "store")
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	chmod(t, pub, 0o777)
	_, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
	ancestorCases[0].check(t, "publish", err, pub)
}

// TestStoreDirItselfGetsNoStickyExemption: a sticky world-writable dir is
// fine above the store, never as the store (others could create bundle
// names in it).
func TestStoreDirItselfGetsNoStickyExemption(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	chmod(t, s.Dir, 0o777|os.ModeSticky)
	_, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
	if !errors.Is(err, ErrUnsafeStore) || !strings.Contains(err.Error(), "store dir "+s.Dir+" is writable by group and others (mode 1777)") {
		t.Fatalf("sticky 1777 store dir: err = %v, want it refused", err)
	}
}

func TestTicketDirBelowADirectoryOthersCanWriteIsRefused(t *testing.T) {
	for _, tc := range ancestorCases {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			pub := filepath.Join(base, "pub")
			os.Mkdir(pub, 0o755)
			d, _ := newTicketDir(t, model.TicketNginx80)
			d.Dir = filepath.Join(pub, "tk")
			mustInit(t, d)
			before := snapshot(t, d.Dir)
			tc.spoil(t, pub)
			_, err := d.Rotate(t.Context(), RotateOptions{})
			tc.check(t, "tickets rotate", err, pub)
			if tc.refused && !mapsEqual(before, snapshot(t, d.Dir)) {
				t.Fatal("a refused rotation changed the key dir")
			}
		})
	}
}

// TestFirstWriteCreatesNothingBelowADirectoryOthersCanWrite: a first
// publish and tickets init create their directory with MkdirAll, which
// follows a link someone planted in a directory they may write; the
// directories above are judged before anything is created, so no
// directory appears where the link points.
func TestFirstWriteCreatesNothingBelowADirectoryOthersCanWrite(t *testing.T) {
	base := t.TempDir()
	pub, victim := filepath.Join(base, "pub"), filepath.Join(base, "etc")
	os.Mkdir(pub, 0o755)
	os.Mkdir(victim, 0o755)
	if err := os.Symlink(victim, filepath.Join(pub, "link")); err != nil {
		t.Fatal(err)
	}
	chmod(t, pub, 0o777)

	s := newTestStore(t)
	s.Dir = filepath.Join(pub, "link", "store")
	_, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
	ancestorCases[0].check(t, "first publish", err, pub)

	d, _ := newTicketDir(t, model.TicketNginx80)
	d.Dir = filepath.Join(pub, "link", "tk")
	_, err = d.Init(t.Context(), InitOptions{})
	ancestorCases[0].check(t, "tickets init", err, pub)

	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Fatalf("created where the planted link points: %v", entries)
	}
}
