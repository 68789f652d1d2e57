package rotate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// CheckTrustedFile judges a file whose contents decide what certdeck runs
// as root: the config, whose reloads are argv certdeck executes, SSH
// hosts it logs in to and sockets it sends keys to. Whoever may write it,
// or rename it or a directory above it, could make root run anything. The
// rule is StrictModes' for authorized_keys: the file owned by root or the
// user certdeck runs as and not writable by group or others, every
// directory on the way (and every symlink) passing the ancestor rule of
// strictmodes.go. what names the file in errors ("config").
func CheckTrustedFile(what, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	resolved, missing, err := walkPath(what+" "+abs, abs)
	if err != nil {
		return err
	}
	if missing != "" {
		return fmt.Errorf("%s %s: %s does not exist", what, abs, missing)
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err = checkOwnerAndMode(what+" "+abs, resolved, fi)
	var unsafe *StoreSafetyError
	if errors.As(err, &unsafe) {
		unsafe.Risk = "another user could change what it makes certdeck run"
	}
	return err
}

// CheckTrustedDir judges a directory certdeck keeps its own state in (the
// ticket history beside the audit log): the store's rule for a directory
// it writes in (checkDirChain). A directory that does not exist yet is
// judged by the directories it would be created under.
func CheckTrustedDir(what, dir string) error {
	if _, err := os.Lstat(dir); err != nil {
		return checkBeforeCreate(what, dir)
	}
	return checkDirChain(what, dir)
}
