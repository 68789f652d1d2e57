package rotate

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// openVersion opens a named version directory of a bundle.
func openVersion(bundleDir, name string) (*Version, error) {
	dir := filepath.Join(bundleDir, name)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open version %s: %w", dir, err)
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

// ReadFile reads one file of the version, refusing files above MaxFileSize.
func (v *Version) ReadFile(name string) ([]byte, error) {
	f, err := v.root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", v.Name, name, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("read %s/%s: not a regular file", v.Name, name)
		}
		if st.Size() > MaxFileSize {
			return nil, fmt.Errorf("read %s/%s: %w", v.Name, name, ErrFileTooLarge)
		}
	}
	// The size check above is advisory (the file could grow); the limited
	// read is what actually bounds memory.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", v.Name, name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read %s/%s: %w", v.Name, name, ErrFileTooLarge)
	}
	return data, nil
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
