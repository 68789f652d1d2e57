package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/google/renameio/v2"
)

// Replaced describes one file WriteFileAtomic replaced or created.
type Replaced struct {
	// File is the file written: the path given, or the file its symlink
	// resolves to.
	File string
	// Mode is the file's permission bits.
	Mode os.FileMode
	// Note says what was not kept as it was (others' permission bits), "".
	Note string
}

// WriteFileAtomic replaces the single file path with data, the way extra
// outputs (a Postfix or HAProxy key + chain file) are written:
//
//   - a temporary file in the target's own directory (rename is atomic
//     only within one file system), created O_EXCL, written, fsynced and
//     renamed over the target; then the directory is fsynced. Readers see
//     the old content or the new, never a partial file;
//   - an existing file keeps its owner, group and permission bits (a 0640
//     root:postfix file stays so), except that others' bits are never
//     kept, since the content holds a private key; a new file gets mode.
//     The temporary file has those bits before its first byte is written
//     and its owner and group while it is still empty, so the key is never
//     readable by anyone the final file does not allow;
//   - a symlink is not replaced by a plain file: the file it resolves to is
//     replaced, in that file's directory, and the link stays. A link that
//     resolves to nothing, or to anything but a regular file, is refused.
//
// A failure leaves the target as it was.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) (*Replaced, error) {
	r := &Replaced{File: path, Mode: mode.Perm()}
	uid, gid := -1, -1
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A new file: mode as given, owned by whoever runs certdeck.
	case err != nil:
		return nil, fmt.Errorf("write %s: %w", path, err)
	default:
		if fi.Mode()&fs.ModeSymlink != 0 {
			resolved, err := filepath.EvalSymlinks(path)
			if err != nil {
				return nil, fmt.Errorf("write %s: a symlink that does not resolve (%v); refusing to replace the link itself", path, err)
			}
			r.File = resolved
			if fi, err = os.Lstat(resolved); err != nil {
				return nil, fmt.Errorf("write %s: %w", path, err)
			}
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("write %s: %s is not a regular file (mode %v); refusing to replace it", path, r.File, fi.Mode())
		}
		perm := fi.Mode().Perm()
		r.Mode = perm &^ 0o007
		if perm&0o007 != 0 {
			r.Note = fmt.Sprintf("%s was mode %04o, readable by others; written %04o, since it holds a private key", r.File, perm, r.Mode)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	dir := filepath.Dir(r.File)
	// IgnoreUmask: the temp file is created with at most r.Mode (narrowed
	// by the umask) and, still empty, given exactly r.Mode, so a group
	// that may read the old file can read the new one.
	pf, err := renameio.NewPendingFile(r.File, renameio.WithTempDir(dir), renameio.WithPermissions(r.Mode), renameio.IgnoreUmask())
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", r.File, err)
	}
	defer pf.Cleanup()
	if uid >= 0 {
		if err := pf.Chown(uid, gid); err != nil {
			return nil, fmt.Errorf("write %s: cannot keep its owner and group (uid %d, gid %d): %w", r.File, uid, gid, err)
		}
	}
	if _, err := pf.Write(data); err != nil {
		return nil, fmt.Errorf("write %s: %w", r.File, err)
	}
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return nil, fmt.Errorf("replace %s: %w", r.File, err)
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return r, nil
}
