package rotate

import (
	"fmt"
	"os"
)

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a power cut. rename(2) is atomic but not durable by itself:
// without this, a crash can bring back the old `current` or lose a version
// directory whose files were already synced.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
