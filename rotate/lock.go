package rotate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile is the flock target inside a bundle directory.
const lockFile = ".lock"

// lockPoll is how often a waiting writer retries the flock.
const lockPoll = 5 * time.Millisecond

// writerLock is an exclusive flock held for the whole of one publish,
// rollback or prune. flock (not a lock file's existence) is used because
// the kernel drops it when the holder dies: a writer killed mid-publish
// never leaves the bundle locked.
type writerLock struct{ f *os.File }

// lockBundle takes the bundle's writer lock, waiting at most timeout (0:
// DefaultLockTimeout) or until ctx ends, whichever comes first; a
// cancelled wait returns an error wrapping ctx.Err().
//
// The lock is opened O_NOFOLLOW: a .lock planted as a symlink would
// otherwise make root create (O_CREAT) the file it names, anywhere. It is
// opened O_NONBLOCK and must be a regular file, so a FIFO planted as .lock
// cannot hang the open.
func lockBundle(ctx context.Context, dir string, timeout time.Duration) (*writerLock, error) {
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o600)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, plantedLink("lock "+path, path)
		}
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("open lock: %w", err)
		}
		return nil, &StoreSafetyError{Path: "lock " + path, Problem: fmt.Sprintf("is not a regular file (mode %v)", fi.Mode()),
			Fix: "rm " + shellQuote(path) + " (certdeck creates its own entries)"}
	}
	deadline := time.Now().Add(timeout)
	var poll *time.Ticker
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return &writerLock{f: f}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: another certdeck writer has held it for %s", path, timeout)
		}
		if poll == nil {
			poll = time.NewTicker(lockPoll)
			defer poll.Stop()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: gave up waiting for another certdeck writer: %w", path, ctx.Err())
		case <-poll.C:
		}
	}
}

func (l *writerLock) unlock() {
	// Closing the descriptor releases the flock.
	l.f.Close()
}
