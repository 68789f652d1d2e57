package probe

import (
	"errors"
	"fmt"
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
// it reads (the link itself and each hop's target) to watch. The read
// itself goes through model.OpenRegularFile (non-blocking open, fstat
// regular-file check) and model.ReadCapped, as every file certdeck reads.
func readBundleFile(path, name string, role model.FileRole, watch *watchSet) model.BundleFile {
	bf := model.BundleFile{Name: name, Role: role, Path: path}
	if lst, err := os.Lstat(path); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		bf.Target, _ = os.Readlink(path)
	}
	if msg, missing := followLinks(path, watch); msg != "" {
		bf.Err, bf.Missing = msg, missing
		return bf
	}
	// The mode is shown even for a file that is refused below (a key that
	// is a FIFO still has permission bits an operator may want to see).
	if st, err := os.Stat(path); err == nil {
		bf.Mode, bf.Size = st.Mode(), st.Size()
	}
	f, err := model.OpenRegularFile(path, "bundle file")
	if err != nil {
		bf.Err, bf.Missing = describeFSError(err, path), errors.Is(err, fs.ErrNotExist)
		return bf
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		bf.Mode, bf.Size = st.Mode(), st.Size()
	}
	data, err := model.ReadCapped(f, path, "bundle file", MaxBundleFile)
	if err != nil {
		bf.Err = err.Error()
		return bf
	}
	bf.Data = data
	return bf
}

// followLinks walks path's symlink chain hop by hop, adding each hop to
// watch (fsnotify does not follow links: a re-pointed certbot link changes
// only the live dir, a rewritten archive file only the archive dir). It
// returns a reason when the chain dangles or loops, and whether that means
// there is no file at all (missing, dangling).
func followLinks(path string, watch *watchSet) (reason string, missing bool) {
	cur := path
	for range maxLinkHops {
		watch.name(cur)
		lst, err := os.Lstat(cur)
		if err != nil {
			gone := errors.Is(err, fs.ErrNotExist)
			if cur == path {
				return describeFSError(err, path), gone
			}
			return fmt.Sprintf("dangling link: %s points to %s, which does not exist", path, cur), gone
		}
		if lst.Mode()&fs.ModeSymlink == 0 {
			return "", false
		}
		target, err := os.Readlink(cur)
		if err != nil {
			return describeFSError(err, cur), false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(cur), target)
		}
		cur = target
	}
	return fmt.Sprintf("symlink loop: %s does not resolve after %d links", path, maxLinkHops), false
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

func tooLarge(size int64) string {
	return fmt.Sprintf("file is %.1f MiB, larger than the %d MiB limit for a bundle file", float64(size)/(1<<20), MaxBundleFile>>20)
}

// readCAFile reads a ca: file's PEM (public data), through the same
// hardened read as every file certdeck is pointed at.
func readCAFile(path string) ([]byte, string) {
	if path == "" {
		return nil, ""
	}
	data, err := model.ReadRegularFile(path, "ca file", model.MaxTrustFile)
	if err != nil {
		return nil, describeFSError(err, path)
	}
	return data, ""
}
