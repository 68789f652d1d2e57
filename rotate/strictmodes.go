package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Planted links. certdeck usually runs as root (a certbot deploy hook, a
// console run by the on-call operator). A user who can write the store or a
// bundle directory could otherwise replace a directory or the lock with a
// symlink and have root write a private key wherever the link points, or
// serve a certificate from outside the store. The store therefore refuses,
// as sshd's StrictModes does for ~/.ssh:
//
//   - a store or bundle directory owned by anyone but root or the user
//     certdeck runs as, or writable by group or others: whoever can write
//     a directory can swap its entries between any check and any use;
//   - a bundle or version directory that is a symlink, and a .lock that is
//     one (opened O_NOFOLLOW, see lock.go).
//
// With those refused, nobody but root and the owner can rename an entry of
// the bundle directory, so checking by path once per operation is enough:
// the checks cannot be raced by anyone they protect against.

// ErrUnsafeStore marks every refusal of an unsafe store layout (see
// StoreSafetyError); test with errors.Is.
var ErrUnsafeStore = errors.New("unsafe store")

// StoreSafetyError says which directory or entry is unsafe and the exact
// command that fixes it.
type StoreSafetyError struct {
	Path    string
	Problem string // "is a symlink to /x", "is writable by group and others (mode 0777)"
	Fix     string // "chmod go-w /srv/store", "rm /srv/store/web/.lock"
}

func (e *StoreSafetyError) Error() string {
	return fmt.Sprintf("%s %s; certdeck refuses it because another user could plant links there and redirect its reads and writes; fix: %s",
		e.Path, e.Problem, e.Fix)
}

func (e *StoreSafetyError) Is(target error) bool { return target == ErrUnsafeStore }

// checkStoreDir judges the store directory itself. It is the operator's
// configured path, so symlinks leading to it are followed (the owner of
// the link's directory chose them); the directory reached must be safe.
func checkStoreDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("store dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("store dir %s: not a directory", dir)
	}
	return checkOwnerAndMode("store dir "+dir, dir, fi)
}

// checkBundleDir judges <store>/<name>: a real directory, not a link, with
// safe owner and mode.
func checkBundleDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("bundle dir: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return plantedLink("bundle dir "+dir, dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("bundle dir %s: not a directory", dir)
	}
	return checkOwnerAndMode("bundle dir "+dir, dir, fi)
}

// checkOwnerAndMode refuses a directory owned by another user or writable
// by group or others, naming the chown or chmod that fixes it.
func checkOwnerAndMode(what, path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // not a Unix file system: nothing to compare against
	}
	euid := os.Geteuid()
	if int(st.Uid) != 0 && int(st.Uid) != euid {
		allowed := "root"
		if euid != 0 {
			allowed += " or " + userName(euid) + ", the user certdeck runs as"
		}
		return &StoreSafetyError{
			Path:    what,
			Problem: fmt.Sprintf("is owned by %s, not %s", userName(int(st.Uid)), allowed),
			Fix:     fmt.Sprintf("chown %s %s", chownName(euid), shellQuote(path)),
		}
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		who := map[fs.FileMode]string{0o020: "group", 0o002: "others", 0o022: "group and others"}[perm&0o022]
		return &StoreSafetyError{
			Path:    what,
			Problem: fmt.Sprintf("is writable by %s (mode %04o)", who, perm),
			Fix:     "chmod go-w " + shellQuote(path),
		}
	}
	return nil
}

// plantedLink is the refusal of a symlink where the store keeps a
// directory or the lock.
func plantedLink(what, path string) error {
	problem := "is a symlink"
	if target, err := os.Readlink(path); err == nil {
		problem += " to " + target
	}
	return &StoreSafetyError{Path: what, Problem: problem, Fix: "rm " + shellQuote(path) + " (certdeck creates its own entries)"}
}

// userName is "root (uid 0)", or the bare uid when it has no name.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

// chownName is what to pass to chown for uid: its name if it has one.
func chownName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return strconv.Itoa(uid)
}

// shellQuote quotes a path for a fix-it command the operator may paste.
func shellQuote(p string) string {
	safe := true
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '.' || r == '_' || r == '-') {
			safe = false
			break
		}
	}
	if safe && p != "" {
		return p
	}
	out := "'"
	for _, r := range p {
		if r == '\'' {
			out += `'\''`
			continue
		}
		out += string(r)
	}
	return out + "'"
}

// checkVersionEntries refuses entries with version names that are not
// real directories (a planted symlink vNNNN could make rollback serve, or
// prune follow, a directory outside the store). The caller holds the lock.
func checkVersionEntries(bundleDir string) error {
	entries, err := os.ReadDir(bundleDir)
	if err != nil {
		return fmt.Errorf("scan versions: %w", err)
	}
	for _, e := range entries {
		if !IsVersionName(e.Name()) || e.IsDir() {
			continue
		}
		path := filepath.Join(bundleDir, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			return plantedLink("version dir "+path, path)
		}
		return &StoreSafetyError{Path: "version dir " + path, Problem: "is not a directory", Fix: "rm " + shellQuote(path)}
	}
	return nil
}
