package model

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ReadRegularFile is how certdeck reads every file it is pointed at (the
// config, ca: and client_cert files, bundle inputs, --ca): it opens the
// file non-blocking, so a FIFO or a device never hangs `check` or a
// `rotate` that holds the store's lock, refuses anything that is not a
// regular file once open (fstat, not a racy stat before open), and reads
// at most limit bytes. what names the file in errors ("config", "ca
// file"); the file's contents never appear in an error.
func ReadRegularFile(path, what string, limit int64) ([]byte, error) {
	f, err := OpenRegularFile(path, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCapped(f, path, what, limit)
}

// OpenRegularFile opens path for reading without blocking and checks that
// it is a regular file (O_NONBLOCK has no effect on a regular file's reads).
func OpenRegularFile(path, what string) (*os.File, error) {
	return openRegular(path, what, 0)
}

// OpenRegularFileNoFollow is OpenRegularFile for a file whose name must
// not be a symlink (O_NOFOLLOW on its last element): one whose owner and
// mode are judged once open, such as a pid file, where a link would let
// whoever may write the link's directory choose the file judged.
func OpenRegularFileNoFollow(path, what string) (*os.File, error) {
	return openRegular(path, what, syscall.O_NOFOLLOW)
}

func openRegular(path, what string, flags int) (*os.File, error) {
	f, err := openFileKind(path, flags)
	if errors.Is(err, errIsSymlink) || flags&syscall.O_NOFOLLOW != 0 && errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("read %s %s: a symlink, which certdeck does not follow here (name the file itself)", what, path)
	}
	var notRegular *notRegularError
	if errors.As(err, &notRegular) {
		return nil, fmt.Errorf("read %s %s: %s, not a regular file", what, path, describeFileType(notRegular.mode))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("read %s %s: %s, not a regular file", what, path, describeFileType(fi.Mode()))
	}
	return f, nil
}

// errIsSymlink: the name is a link where flags said not to follow one.
var errIsSymlink = errors.New("a symlink")

// notRegularError: the name is a device, FIFO, socket or directory, found
// without opening it.
type notRegularError struct{ mode fs.FileMode }

func (e *notRegularError) Error() string { return describeFileType(e.mode) + ", not a regular file" }

// openByPath opens path for reading without blocking; a device it names
// is opened (its open has effects) before fstat can refuse it. It is the
// fallback where no O_PATH open exists.
func openByPath(path string, flags int) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY|flags, 0)
}

// ReadCapped reads an open file of at most limit bytes; a larger file is
// an error rather than a silently truncated read.
func ReadCapped(f *os.File, path, what string, limit int64) ([]byte, error) {
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, fmt.Errorf("read %s %s: %s, larger than the %s limit", what, path, formatSize(fi.Size()), formatSize(limit))
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read %s %s: larger than the %s limit", what, path, formatSize(limit))
	}
	return data, nil
}

// describeFileType names a non-regular file type the way an operator
// would look it up in `ls -l`.
func describeFileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "a special file"
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
