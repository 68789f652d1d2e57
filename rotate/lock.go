package rotate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile is the flock target inside a bundle directory.
const lockFile = ".lock"

// writerLock is an exclusive flock held for the whole of one publish or
// rollback. flock (not a lock file's existence) is used because the kernel
// drops it when the holder dies: a writer killed mid-publish never leaves
// the bundle locked.
type writerLock struct{ f *os.File }

func lockBundle(dir string, timeout time.Duration) (*writerLock, error) {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return &writerLock{f: f}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: another certdeck writer has held it for %s", f.Name(), timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *writerLock) unlock() {
	// Closing the descriptor releases the flock.
	l.f.Close()
}
