package probe

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"certdeck/model"
)

// MaxBundleFile caps every bundle file read: certificate files are a few
// KiB, and a wrong path (a log, a disk image) must not exhaust memory.
const MaxBundleFile = 1 << 20

// maxLinkHops bounds how far a symlink chain is followed; the kernel's own
// limit is 40.
const maxLinkHops = 40

// readBundleFile reads one file of a bundle by path, recording its link
// target and mode, and reports every path whose change would change what
// it reads (the link itself and each hop's target) to watch.
func readBundleFile(path, name string, role model.FileRole, watch *watchSet) model.BundleFile {
	bf := model.BundleFile{Name: name, Role: role, Path: path}
	if lst, err := os.Lstat(path); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		bf.Target, _ = os.Readlink(path)
	}
	if msg := followLinks(path, watch); msg != "" {
		bf.Err = msg
		return bf
	}
	st, err := os.Stat(path)
	if err != nil {
		bf.Err = describeFSError(err, path)
		return bf
	}
	bf.Mode, bf.Size = st.Mode(), st.Size()
	if msg := notRegular(st); msg != "" {
		bf.Err = msg
		return bf
	}
	if st.Size() > MaxBundleFile {
		bf.Err = tooLarge(st.Size())
		return bf
	}
	// O_NONBLOCK: a file swapped for a FIFO between Stat and Open must not
	// block the watcher forever; for regular files it changes nothing.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		bf.Err = describeFSError(err, path)
		return bf
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundleFile+1))
	if err != nil {
		bf.Err = describeFSError(err, path)
		return bf
	}
	if len(data) > MaxBundleFile {
		clear(data)
		bf.Err = tooLarge(int64(len(data)))
		return bf
	}
	bf.Data = data
	return bf
}

// followLinks walks path's symlink chain hop by hop, adding each hop to
// watch (fsnotify does not follow links: a re-pointed certbot link changes
// only the live dir, a rewritten archive file only the archive dir). It
// returns a reason when the chain dangles or loops.
func followLinks(path string, watch *watchSet) string {
	cur := path
	for range maxLinkHops {
		watch.name(cur)
		lst, err := os.Lstat(cur)
		if err != nil {
			if cur == path {
				return describeFSError(err, path)
			}
			return fmt.Sprintf("dangling link: %s points to %s, which does not exist", path, cur)
		}
		if lst.Mode()&fs.ModeSymlink == 0 {
			return ""
		}
		target, err := os.Readlink(cur)
		if err != nil {
			return describeFSError(err, cur)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(cur), target)
		}
		cur = target
	}
	return fmt.Sprintf("symlink loop: %s does not resolve after %d links", path, maxLinkHops)
}

// describeFSError turns an os error into the reason a bundle row shows,
// always naming the path.
func describeFSError(err error, path string) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing: " + path
	case errors.Is(err, fs.ErrPermission):
		return "cannot read " + path + ": permission denied"
	case errors.Is(err, syscall.ELOOP):
		return "symlink loop at " + path
	case errors.Is(err, syscall.ENOTDIR):
		return path + ": a component of the path is not a directory"
	case errors.Is(err, syscall.EISDIR):
		return path + " is a directory, not a file"
	}
	return err.Error()
}

func notRegular(st fs.FileInfo) string {
	switch m := st.Mode(); {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "is a directory, not a file"
	case m&fs.ModeNamedPipe != 0:
		return "is a named pipe, not a file"
	default:
		return fmt.Sprintf("is not a regular file (%s)", m.Type())
	}
}

func tooLarge(size int64) string {
	return fmt.Sprintf("file is %.1f MiB, larger than the %d MiB limit for a bundle file", float64(size)/(1<<20), MaxBundleFile>>20)
}

// readCAFile reads a ca: file's PEM (public data) with the same cap.
func readCAFile(path string) ([]byte, string) {
	if path == "" {
		return nil, ""
	}
	var ws watchSet
	bf := readBundleFile(path, filepath.Base(path), model.RoleCert, &ws)
	return bf.Data, bf.Err
}
