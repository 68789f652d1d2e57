package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
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
//   - a directory above the store (or a key dir, or an --also-write
//     target's directory) up to / that is owned by anyone but root or that
//     user, or writable by group or others without the sticky bit: whoever
//     can rename entries of an ancestor can swap the whole subtree under
//     it. A sticky ancestor (/tmp, 1777) is accepted, because there only an
//     entry's owner can rename it and the entry below is itself checked to
//     be root's or ours; the directory certdeck writes in never gets that
//     exemption, since others could still pre-create names in it.
//
// With those refused, nobody but root and the owner can rename an entry of
// the bundle directory or of any directory above it, so checking by path
// once per operation is enough: the checks cannot be raced by anyone they
// protect against.

// ErrUnsafeStore marks every refusal of an unsafe store layout (see
// StoreSafetyError); test with errors.Is.
var ErrUnsafeStore = errors.New("unsafe store")

// StoreSafetyError says which directory or entry is unsafe and the exact
// command that fixes it.
type StoreSafetyError struct {
	Path    string
	Problem string // "is a symlink to /x", "is writable by group and others (mode 0777)"
	Fix     string // "chmod go-w /srv/store", "rm /srv/store/web/.lock"
	// Risk is why that matters, when not the default (a directory's:
	// planted links redirecting certdeck's reads and writes).
	Risk string
}

func (e *StoreSafetyError) Error() string {
	risk := e.Risk
	if risk == "" {
		risk = "another user could plant links there and redirect its reads and writes"
	}
	return fmt.Sprintf("%s %s; certdeck refuses it because %s; fix: %s", e.Path, e.Problem, risk, e.Fix)
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
	return checkDirChain("store dir "+dir, dir)
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

// checkDirChain judges dir, a directory certdeck is about to write in, and
// every directory on the way to it, as sshd's StrictModes walks the path
// to authorized_keys: dir itself must pass checkOwnerAndMode, each
// directory passed through must be owned by root or us and be writable by
// group or others only if it is sticky (see the rules at the top of this
// file). The path is resolved one component at a time (walkPath), so the
// directory holding each symlink on the way is judged too: whoever may
// write it could swap the link. The caller has checked that dir exists
// and is a directory; what names it in errors.
func checkDirChain(what, dir string) error {
	named, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	resolved, missing, err := walkPath(what, named)
	if err != nil {
		return err
	}
	if missing != "" {
		return fmt.Errorf("%s: %s: %w", what, missing, fs.ErrNotExist)
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return checkOwnerAndMode(what, dir, fi)
}

// checkBeforeCreate is for a directory a writer is about to create with
// MkdirAll (a first publish, tickets init): when dir does not exist yet,
// the directories it will be created under must pass the ancestor rule
// first, or MkdirAll would follow a link planted in one of them and
// create directories wherever it points before checkDirChain refuses.
func checkBeforeCreate(what, dir string) error {
	named, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if _, err := os.Lstat(named); !errors.Is(err, fs.ErrNotExist) {
		return nil // present: checkDirChain judges it
	}
	_, _, err = walkPath(what, named)
	return err
}

// maxLinks bounds the symlinks walkPath follows (the kernel's is 40).
const maxLinks = 40

// walkPath resolves path as the kernel does, one component at a time,
// and applies the ancestor rule (checkAncestor) to every directory it
// passes through: /, each directory it descends into that is not the
// last component, and so the directory holding every symlink on the way,
// a link's target being walked from there (or from / when absolute). ".."
// goes up from where the walk is, not from the text. It returns the
// resolved path and, when a component does not exist, missing: the path
// up to it (every directory above it was judged).
func walkPath(what, path string) (resolved, missing string, err error) {
	if err := checkAncestor(what, "/"); err != nil {
		return "", "", err
	}
	cur, rest, links := "/", splitPath(path), 0
	for len(rest) > 0 {
		comp := rest[0]
		rest = rest[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, comp)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			return "", next, nil
		}
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", what, err)
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if links++; links > maxLinks {
				return "", "", fmt.Errorf("%s: %s: too many levels of symbolic links", what, path)
			}
			// The link's owner may re-point it at will, even in a
			// sticky /tmp, between this walk and the use: only root's
			// and ours are followed (fs.protected_symlinks, which
			// would stop root following another user's link in a
			// sticky directory, is off in many containers).
			if err := checkLinkOwner(what, next, fi); err != nil {
				return "", "", err
			}
			target, err := os.Readlink(next)
			if err != nil {
				return "", "", fmt.Errorf("%s: %w", what, err)
			}
			if filepath.IsAbs(target) {
				cur = "/"
			}
			rest = append(splitPath(target), rest...)
		case fi.IsDir():
			cur = next
			if len(rest) > 0 {
				if err := checkAncestor(what, cur); err != nil {
					return "", "", err
				}
			}
		case len(rest) > 0:
			return "", "", fmt.Errorf("%s: %s is not a directory", what, next)
		default:
			cur = next
		}
	}
	return cur, "", nil
}

func splitPath(p string) []string { return strings.Split(p, "/") }

// checkAncestor judges one directory above the one certdeck writes in.
func checkAncestor(what, dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: directory above it: %w", what, err)
	}
	what = "directory " + dir + " above " + what
	if err := checkOwner(what, dir, fi); err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		return nil
	}
	return checkNotWritableByOthers(what, dir, fi, " and is not sticky")
}

// checkOwnerAndMode refuses a directory owned by another user or writable
// by group or others (sticky or not), naming the chown or chmod that
// fixes it.
func checkOwnerAndMode(what, path string, fi fs.FileInfo) error {
	if err := checkOwner(what, path, fi); err != nil {
		return err
	}
	return checkNotWritableByOthers(what, path, fi, "")
}

// checkOwner refuses a file owned by anyone but root or the user certdeck
// runs as.
func checkOwner(what, path string, fi fs.FileInfo) error {
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
	return nil
}

// checkLinkOwner refuses a symlink on the way that another user owns.
func checkLinkOwner(what, link string, fi fs.FileInfo) error {
	err := checkOwner("symlink "+link+" on the way to "+what, link, fi)
	var unsafe *StoreSafetyError
	if errors.As(err, &unsafe) {
		// chown would follow the link; -h changes the link itself.
		unsafe.Fix = "chown -h " + chownName(os.Geteuid()) + " " + shellQuote(link) + " (after checking where it points)"
	}
	return err
}

// checkNotWritableByOthers refuses a file group or others may write;
// more is appended to the problem ("and is not sticky").
func checkNotWritableByOthers(what, path string, fi fs.FileInfo, more string) error {
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		who := map[fs.FileMode]string{0o020: "group", 0o002: "others", 0o022: "group and others"}[perm&0o022]
		shown := perm
		if fi.Mode()&fs.ModeSticky != 0 {
			shown |= 0o1000 // as ls and chmod say it: 1777, not a bare 0777
		}
		return &StoreSafetyError{
			Path:    what,
			Problem: fmt.Sprintf("is writable by %s (mode %04o)%s", who, shown, more),
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
