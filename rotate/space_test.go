package rotate

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestFailedStagingLeavesNothingBehind(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	dir := s.BundleDir("web")
	// The disk fills up while the key is being written: cert.pem and
	// chain.pem exist in the staging dir, privkey.pem does not.
	orig := openFile
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if filepath.Base(name) == KeyFile {
			return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
		}
		return orig(name, flag, perm)
	}
	t.Cleanup(func() { openFile = orig })

	_, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want the injected ENOSPC", err)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("a failed staging left %v behind", l)
	}
	if vs, _ := listVersions(dir); len(vs) != 1 || currentTarget(t, dir) != "v0001" {
		t.Fatalf("versions %v, current %s after a failed staging", vs, currentTarget(t, dir))
	}
}

// TestShortOfSpacePrunesBeforeStaging simulates a file system with room
// for four versions (the seam counts what the bundle dir holds) and a
// retention of ten: every publish must still succeed, by pruning the
// oldest versions first, and never more than four may exist.
func TestShortOfSpacePrunesBeforeStaging(t *testing.T) {
	s := newTestStore(t)
	s.Keep = 10
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	dir := s.BundleDir("web")
	// The bundle dir's own block, then one version's worth.
	perVersion := (usedBlocks(t, dir) - 1) * 4096
	orig := freeSpace
	freeSpace = func(d string) (uint64, uint64, error) {
		capacity := 4096 + 4*perVersion + perVersion/2
		used := usedBlocks(t, dir) * 4096
		if used > capacity {
			return 0, 4096, nil
		}
		return capacity - used, 4096, nil
	}
	t.Cleanup(func() { freeSpace = orig })

	sawWarning := false
	for i := range 8 {
		res := mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
		vs, _ := listVersions(dir)
		if len(vs) > 4 {
			t.Fatalf("publish %d: %d versions on a disk with room for 4: %v", i+2, len(vs), vs)
		}
		for _, w := range res.Warnings {
			sawWarning = sawWarning || strings.Contains(w, "short of space") && strings.Contains(w, "pruned")
		}
	}
	if !sawWarning {
		t.Error("no publish said it pruned because space was short")
	}
	checkCurrentComplete(t, dir)
}

// usedBlocks is how many 4 KiB blocks the files under dir occupy.
func usedBlocks(t *testing.T, dir string) uint64 {
	t.Helper()
	var n uint64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += (uint64(fi.Size()) + 4095) / 4096
			}
		} else if d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestFullFileSystemStillPublishes is the same on a real, small tmpfs:
// without pruning before staging, the publish that finds the disk full
// fails with ENOSPC, and so does every one after it.
func TestFullFileSystemStillPublishes(t *testing.T) {
	mnt := t.TempDir()
	// 40 pages: room for five or six versions (six files of one page each).
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=160k,mode=0755"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill up (needs root / CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	s := newTestStore(t)
	s.Dir = filepath.Join(mnt, "store")
	s.Keep = 20
	pairs := mintPairs(t, 3)
	for i := range 15 {
		if _, err := s.Publish(t.Context(), "web", inputsFor(pairs[i%len(pairs)])); err != nil {
			t.Fatalf("publish %d on a full tmpfs: %v", i+1, err)
		}
	}
	dir := s.BundleDir("web")
	checkCurrentComplete(t, dir)
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("leftovers: %v", l)
	}
	vs, _ := listVersions(dir)
	t.Logf("15 publishes on a 160 KiB tmpfs with keep 20: %d versions kept (%v)", len(vs), vs)
}
