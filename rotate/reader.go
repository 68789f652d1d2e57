package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"certdeck/model"
)

// CurrentLink is the name of the symlink that selects the live version.
const CurrentLink = "current"

// MaxFileSize caps what Version.ReadFile returns. Certificate bundles are a
// few KiB; a cap keeps a wrong or hostile path from exhausting memory.
const MaxFileSize = 1 << 20

// openRetries bounds how often Open re-reads `current` when the version it
// named disappeared before it could be opened (pruned by a writer that
// published twice in between). Prune never removes current or the version
// before it, so one retry almost always suffices.
const openRetries = 5

// ErrFileTooLarge is returned by ReadFile for files above MaxFileSize.
var ErrFileTooLarge = errors.New("file larger than 1 MiB")

// Version is one version directory of a bundle, opened as a directory
// handle. Every read goes through that handle (openat under the hood), so
// all files come from the same version even if `current` is swapped or
// more versions are published while the reader works. Close releases the
// handle; a Version is safe for concurrent use.
type Version struct {
	// Name is the version directory the link resolved to, e.g. "v0007".
	Name string
	// Dir is the absolute path of the version directory, for messages.
	Dir  string
	root *os.Root
}

// Open resolves <bundleDir>/current exactly once and opens the version
// directory it names. bundleDir is one bundle's directory in the store
// (<store>/<name>), the directory that holds `current`.
//
// The link target must be a single path element (a sibling version
// directory); anything else is refused so a tampered link cannot redirect
// reads elsewhere.
func Open(bundleDir string) (*Version, error) {
	var lastErr error
	for range openRetries {
		name, err := readCurrent(bundleDir)
		if err != nil {
			return nil, err
		}
		v, err := openVersion(bundleDir, name)
		if err == nil {
			return v, nil
		}
		// The version vanished between readlink and open: `current` has
		// moved on, so resolve it again rather than fail.
		if errors.Is(err, fs.ErrNotExist) {
			lastErr = err
			continue
		}
		return nil, err
	}
	return nil, fmt.Errorf("open %s: current keeps moving: %w", bundleDir, lastErr)
}

// openVersion opens a named version directory of a bundle. The entry must
// be a real directory: os.OpenRoot follows symlinks, so a version dir
// planted as a link (current -> v0002 -> /elsewhere) would make every
// reader serve files from outside the store. The Lstat names the entry
// without following it; comparing it with the directory the handle
// actually opened (same device and inode) closes the window in which the
// entry could be swapped for a link between the two calls.
func openVersion(bundleDir, name string) (*Version, error) {
	dir := filepath.Join(bundleDir, name)
	lfi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("open version %s: %w", dir, err)
	}
	if lfi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("open version: %w", plantedLink("version dir "+dir, dir))
	}
	if !lfi.IsDir() {
		return nil, fmt.Errorf("open version %s: not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open version %s: %w", dir, err)
	}
	if rfi, err := root.Stat("."); err != nil || !os.SameFile(lfi, rfi) {
		root.Close()
		return nil, fmt.Errorf("open version %s: replaced while it was being opened", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return &Version{Name: name, Dir: abs, root: root}, nil
}

// readCurrent returns the version name `current` points at.
func readCurrent(bundleDir string) (string, error) {
	link := filepath.Join(bundleDir, CurrentLink)
	target, err := os.Readlink(link)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", link, err)
	}
	if !isPlainName(target) {
		return "", fmt.Errorf("resolve %s: link target %q is not a version directory beside it", link, target)
	}
	return target, nil
}

// isPlainName reports whether s names an entry directly inside a directory.
func isPlainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsRune(s, '/') && !strings.ContainsRune(s, 0)
}

// ReadFile reads one file of the version, refusing files above MaxFileSize
// (ErrFileTooLarge) and anything but a regular file. The file is opened
// non-blocking and checked by fstat on the open descriptor, so a FIFO
// planted in a version directory can neither hang the reader (a writer
// holding the lock, the console's bundle watcher) nor pass for a file.
func (v *Version) ReadFile(name string) ([]byte, error) {
	f, err := v.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", v.Name, name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", v.Name, name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s/%s: not a regular file (mode %v)", v.Name, name, st.Mode())
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("read %s/%s: %w", v.Name, name, ErrFileTooLarge)
	}
	// The size check above is advisory (the file could grow); the capped
	// read is what bounds memory.
	return model.ReadCapped(f, v.Name+"/"+name, "version file", MaxFileSize)
}

// Stat describes one file of the version (following symlinks that stay
// inside the version directory).
func (v *Version) Stat(name string) (fs.FileInfo, error) {
	st, err := v.root.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("stat %s/%s: %w", v.Name, name, err)
	}
	return st, nil
}

// Close releases the directory handle.
func (v *Version) Close() error {
	return v.root.Close()
}
