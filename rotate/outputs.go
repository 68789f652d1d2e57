package rotate

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// WriteFileAtomic replaces the single file path with data: a temporary file
// in path's own directory (rename only works within one filesystem, and
// only there is it atomic), created O_EXCL with mode from its first byte,
// written, fsynced, renamed over path; then the directory is fsynced.
// Readers of path see the old content or the new, never a partial file.
// Used for extra outputs such as a Postfix key+chain file.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	// renameio creates the temp file with O_EXCL and this mode (narrowed by
	// the umask, never widened); no chmod follows.
	pf, err := renameio.NewPendingFile(path, renameio.WithTempDir(dir), renameio.WithPermissions(mode))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer pf.Cleanup()
	if _, err := pf.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(dir)
}
