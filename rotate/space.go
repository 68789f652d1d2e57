package rotate

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Full disks. Retention runs after a publish, so a store whose file system
// has filled up (logs, another tenant) could never publish again: staging
// fails with ENOSPC before the prune that would have made room. A writer
// therefore checks the free space first and, when it is short of what one
// version needs, prunes before staging: first beyond retention, then, if
// that is not enough, older versions (rolled back ones first) down to
// `current` and the rollback target (which are never removed, nor is a
// version still inside its prune grace).

// freeSpace is the space available to this process in dir's file system,
// in bytes, and the file system's block size. Tests replace it to simulate
// a full disk without privileges.
var freeSpace = func(dir string) (avail, block uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), uint64(st.Bsize), nil
}

// versionSize estimates the space one version of files takes: each file
// rounded up to whole blocks, meta.json (not yet rendered) as one block of
// its own plus one for the directory.
func versionSize(files []stagedFile, block uint64) uint64 {
	if block == 0 {
		block = 4096
	}
	total := 2 * block
	for _, f := range files {
		total += (uint64(len(f.data)) + block - 1) / block * block
	}
	return total
}

// makeRoom prunes before staging when dir's file system has less free
// space than the version about to be staged needs. It returns what it
// pruned and warnings (appended to warns); it never fails the publish:
// if room cannot be made, staging reports the real error.
func (s *Store) makeRoom(dir string, files []stagedFile, warns []string) (pruned []string, _ []string) {
	avail, block, err := freeSpace(dir)
	if err != nil {
		return nil, warns
	}
	need := versionSize(files, block)
	if avail >= need {
		return nil, warns
	}
	enough := func() bool {
		a, _, err := freeSpace(dir)
		return err == nil && a >= need
	}
	for _, keep := range []int{s.keep(), 0} {
		p, err := s.pruneTo(dir, keep, enough)
		pruned = append(pruned, p...)
		if err != nil {
			warns = append(warns, fmt.Sprintf("making room: %v", err))
			break
		}
		if enough() {
			break
		}
	}
	after, _, _ := freeSpace(dir)
	msg := fmt.Sprintf("file system short of space (%s free, a version needs %s)", kib(avail), kib(need))
	switch {
	case len(pruned) > 0:
		msg += fmt.Sprintf(": pruned %s before staging, now %s free", strings.Join(pruned, " "), kib(after))
	default:
		msg += ": nothing could be pruned (current, the rollback target and versions inside the prune grace stay)"
	}
	return pruned, append(warns, msg)
}

func kib(n uint64) string { return fmt.Sprintf("%d KiB", n/1024) }
