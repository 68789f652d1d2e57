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
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFLNK: // O_PATH|O_NOFOLLOW opens the link itself
		return nil, errIsSymlink
	default:
		return nil, &notRegularError{mode: fileModeOf(st.Mode)}
	}
	f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		// No /proc: open by name, and make sure it is still that inode.
		if f, err = openByPath(path, flags); err == nil {
			if same, serr := sameInode(f, st); serr != nil || !same {
				f.Close()
				return nil, fmt.Errorf("open %s: it changed while being opened", path)
			}
		}
	}
	return f, err
}

func sameInode(f *os.File, st unix.Stat_t) (bool, error) {
	var now unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &now); err != nil {
		return false, err
	}
	return now.Dev == st.Dev && now.Ino == st.Ino, nil
}

// fileModeOf is the fs.FileMode type bits of a stat mode.
func fileModeOf(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	}
	return fs.ModeIrregular
}
