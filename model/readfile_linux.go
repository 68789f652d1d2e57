package model

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// openFileKind opens path only once it is known to be a regular file.
// Opening a device has effects of its own as root (a watchdog armed, a
// tape rewound, a FUSE mount that hangs), and a bundle path may be a link
// another user points at /dev/watchdog: so the name is first opened
// O_PATH, which opens nothing but the name, judged by fstat, and only a
// regular file is then opened for reading, through /proc/self/fd: the
// same inode, whatever the name points to by then.
func openFileKind(path string, flags int) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC|flags, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	name := os.NewFile(uintptr(fd), path)
	defer name.Close()
	fi, err := name.Stat()
	if err != nil {
		return nil, err
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
	case m&fs.ModeSymlink != 0: // O_PATH|O_NOFOLLOW opens the link itself
		return nil, errIsSymlink
	default:
		return nil, &notRegularError{mode: m}
	}
	f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		// No /proc: open by name, and make sure it is still that inode.
		if f, err = openByPath(path, flags); err == nil {
			if now, serr := f.Stat(); serr != nil || !os.SameFile(fi, now) {
				f.Close()
				return nil, fmt.Errorf("open %s: it changed while being opened", path)
			}
		}
	}
	return f, err
}
