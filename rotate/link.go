package rotate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// swapCurrent points <bundleDir>/current at version by creating a temporary
// symlink and renaming it over `current`, then fsyncs the directory.
//
// rename(2) replaces the link atomically: every open of `current` sees the
// old target or the new one, never a missing link. certbot instead unlinks
// and re-creates each link, leaving a window with no file at all.
//
// renameio.Symlink does the same rename, but through a temporary directory
// named after the link and without syncing the parent; doing it here keeps
// one predictable leftover prefix (.current.tmp-) for crash recovery and
// makes the swap durable before Publish reports success.
func swapCurrent(bundleDir, version string) error {
	if !isPlainName(version) {
		return fmt.Errorf("swap current: bad version %q", version)
	}
	var tmp string
	for range 100 {
		tmp = filepath.Join(bundleDir, tempLinkPrefix+randomSuffix())
		err := os.Symlink(version, tmp)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("swap current: create temp link: %w", err)
		}
		tmp = ""
	}
	if tmp == "" {
		return errors.New("swap current: no free temp link name")
	}
	if err := os.Rename(tmp, filepath.Join(bundleDir, CurrentLink)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("swap current: %w", err)
	}
	return syncDir(bundleDir)
}
