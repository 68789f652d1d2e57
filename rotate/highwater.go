package rotate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"certdeck/model"
)

// A version number names one certificate for good: the audit log, store
// ls and the `previous` records speak of "v0005". Prune may remove the
// highest version (one rolled back as not verified goes first), and the
// next publish must not then make another v0005. Before removing the
// highest version, prune records its name in HighestFile; nextVersion
// counts it with the directories.
const (
	HighestFile      = ".highest-version"
	highestTmpPrefix = ".highest-version.tmp-"
)

// recordHighest writes v as the highest version ever made, durably (temp
// file, fsync, rename, directory fsync), before a prune removes it.
func recordHighest(bundleDir, v string) error {
	tmp := filepath.Join(bundleDir, highestTmpPrefix+randomSuffix())
	f, err := createWrite(tmp, []byte(v+"\n"), publicMode)
	if err != nil {
		return fmt.Errorf("record %s as the highest version: %w", v, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(bundleDir, HighestFile))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record %s as the highest version: %w", v, err)
	}
	return syncDir(bundleDir)
}

// recordedHighest is the number HighestFile holds (0: none, or not a
// version name: a damaged record only loses its protection).
func recordedHighest(bundleDir string) int {
	data, err := model.ReadRegularFile(filepath.Join(bundleDir, HighestFile), "highest version", 64)
	if err != nil {
		return 0
	}
	name := strings.TrimSpace(string(data))
	if !IsVersionName(name) {
		return 0
	}
	return versionNumber(name)
}
