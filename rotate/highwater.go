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

// recordHighest writes v as the highest version ever made, durably,
// before a prune removes it.
func recordHighest(bundleDir, v string) error {
	tmp := filepath.Join(bundleDir, highestTmpPrefix+randomSuffix())
	if err := replaceDurably(tmp, filepath.Join(bundleDir, HighestFile), []byte(v+"\n"), bundleDir); err != nil {
		return fmt.Errorf("record %s as the highest version: %w", v, err)
	}
	return nil
}

// replaceDurably puts data at dst through tmp (created O_EXCL, written,
// fsynced, renamed over dst), then fsyncs syncDir, the directory holding
// dst: a crash leaves the old dst or the new, and at worst tmp, which the
// next writer's removeLeftovers deletes.
func replaceDurably(tmp, dst string, data []byte, syncDirPath string) error {
	f, err := createWrite(tmp, data, publicMode)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(syncDirPath)
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
