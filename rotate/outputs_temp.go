package rotate

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The temporary file WriteFileAtomic writes beside a target is named
// .certdeck-<base>.tmp-<12 hex digits>, so that a run killed between
// creating it and the rename (it may then hold the whole key) leaves a
// name the next write of the same target recognises and removes, and no
// other program's file ever matches.
const (
	outputTempPrefix = ".certdeck-"
	outputTempInfix  = ".tmp-"
	outputTempRandom = 6 // random bytes, 12 hex digits
)

// outputTempName is the temp file name for target base name base.
func outputTempName(base string, random []byte) string {
	return outputTempPrefix + base + outputTempInfix + hex.EncodeToString(random)
}

// isOutputTemp reports whether name is a temp file name of target base:
// the exact prefix, then exactly the random hex digits.
func isOutputTemp(name, base string) bool {
	rest, ok := strings.CutPrefix(name, outputTempPrefix+base+outputTempInfix)
	if !ok || len(rest) != 2*outputTempRandom {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil && strings.ToLower(rest) == rest
}

// createTemp creates a new temp file for target base in dir: O_EXCL and
// O_NOFOLLOW (never an entry someone else made), with at most mode from
// its first byte (the umask may narrow it; the caller sets it exactly).
func createTemp(dir, base string, mode os.FileMode) (*os.File, error) {
	random := make([]byte, outputTempRandom)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, outputTempName(base, random))
	f, err := openFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode.Perm())
	if err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	return f, nil
}

// removeStaleTemps removes the temp files a killed write of target base
// left in dir: regular files of that exact name pattern owned by us
// (never a symlink, never another user's file). The directory has passed
// checkReplaceTarget, so only root and we can have made them. Two
// certdeck processes writing the same target at the same moment are not
// supported (the last rename would win anyway): one may remove the
// other's temp, whose write then fails, visibly and harmlessly.
func removeStaleTemps(dir, base string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("scan for stale temp files: %w", err)
	}
	for _, e := range entries {
		if !isOutputTemp(e.Name(), base) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(path)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale temp file %s: %w", path, err)
		}
	}
	return nil
}
