package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Replaced describes one file WriteFileAtomic replaced or created.
type Replaced struct {
	// File is the file written: the path given (a symlink is refused,
	// never written through).
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
//     the old content or the new, never a partial file. Temporary files a
//     killed run left for the same target are removed first (outputs_temp.go);
//   - an existing file keeps its group and permission bits (a 0640
//     root:postfix file stays so), except that others' bits are never
//     kept, since the content holds a private key; a new file gets mode.
//     The temporary file has those bits before its first byte is written
//     and its owner and group while it is still empty, so the key is never
//     readable by anyone the final file does not allow;
//   - the target is refused, and nothing written, when it could hand the
//     key to another user or redirect the write (certdeck usually runs as
//     root; see checkReplaceTarget): a symlink, anything but a regular
//     file, a file owned by anyone but root or us, or a directory (or one
//     above it) that others may write.
//
// A failure leaves the target as it was.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) (*Replaced, error) {
	t, err := checkReplaceTarget(path, mode)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := removeStaleTemps(dir, filepath.Base(path)); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := createTemp(dir, filepath.Base(path), t.mode)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmpPath := tmp.Name()
	fail := func(err error) (*Replaced, error) {
		tmp.Close()
		os.Remove(tmpPath)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if t.exists {
		if err := tmp.Chown(t.uid, t.gid); err != nil {
			return fail(fmt.Errorf("cannot keep its owner and group (uid %d, gid %d): %w", t.uid, t.gid, err))
		}
	}
	// Exactly t.mode whatever the umask, while the file is still empty,
	// so a group that may read the old file can read the new one.
	if err := tmp.Chmod(t.mode); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmpPath)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		os.Remove(tmpPath)
		return nil, fmt.Errorf("replace %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return &Replaced{File: path, Mode: t.mode, Note: t.note}, nil
}

// replaceTarget is what checkReplaceTarget learned about a file it may
// replace: whether it exists, the owner and group to keep, the mode to
// write and what was not kept.
type replaceTarget struct {
	exists   bool
	uid, gid int
	mode     os.FileMode
	note     string
}

// checkReplaceTarget refuses a path WriteFileAtomic must not replace, and
// says what the new file keeps. The directory comes first: once nobody
// but root and us may write it or any directory above it
// (checkDirChain, the store's StrictModes rule, with no sticky exemption
// for the directory itself, where others could pre-create the name),
// nobody can swap the target between this lstat and the rename, so a
// check by path is enough. Then the target itself:
//
//   - a symlink is refused rather than followed: whoever planted it would
//     choose which file root overwrites with the key;
//   - anything but a regular file is refused;
//   - a file owned by anyone but root or us is refused: the new file
//     would keep that owner, who could then read the key.
//
// HAProxy's reload calls it before its transaction too, so a crt file that
// could not be written afterwards is refused before anything is sent.
func checkReplaceTarget(path string, mode os.FileMode) (replaceTarget, error) {
	t := replaceTarget{uid: -1, gid: -1, mode: mode.Perm()}
	if path != filepath.Clean(path) {
		// "lnk/../x" is cleaned to "x" by filepath.Dir but resolved
		// through lnk by the kernel: the directory judged would not be
		// the one written in.
		return t, fmt.Errorf("name it as %s (no \".\", \"..\" or doubled /): checks and writes must agree on its directory", filepath.Clean(path))
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	if err != nil {
		return t, fmt.Errorf("its directory: %w", err)
	}
	if !di.IsDir() {
		return t, fmt.Errorf("%s is not a directory", dir)
	}
	if err := checkDirChain("directory "+dir, dir); err != nil {
		return t, err
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return t, nil // a new file: mode as given, owned by whoever runs certdeck
	case err != nil:
		return t, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		link := "a symlink"
		if to, err := os.Readlink(path); err == nil {
			link += " to " + to
		}
		return t, fmt.Errorf("%s is %s; refusing to write through it (whoever made the link chooses what gets overwritten): name the file itself", path, link)
	}
	if !fi.Mode().IsRegular() {
		return t, fmt.Errorf("%s is not a regular file (mode %v); refusing to replace it", path, fi.Mode())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		t.uid, t.gid = int(st.Uid), int(st.Gid)
		if t.uid != 0 && t.uid != os.Geteuid() {
			return t, fmt.Errorf("%s is owned by %s, neither root nor the user certdeck runs as; refusing to replace it, since the new file would keep that owner, who could read the private key (fix: chown %s %s)",
				path, userName(t.uid), chownName(os.Geteuid()), shellQuote(path))
		}
	}
	t.exists = true
	perm := fi.Mode().Perm()
	t.mode = perm &^ 0o007
	if perm&0o007 != 0 {
		t.note = fmt.Sprintf("%s was mode %04o, readable by others; written %04o, since it holds a private key", path, perm, t.mode)
	}
	return t, nil
}
