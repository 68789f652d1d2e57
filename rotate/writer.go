package rotate

import (
	"context"
	"errors"
	"io/fs"
)

// beginWrite is what every writer (publish, rollback, prune) does before
// touching a bundle: refuse an unsafe store (strictmodes.go), take the
// bundle's lock, sweep what crashed writers left behind, and refuse
// version entries that are not real directories. create makes the store
// and bundle dirs on a first publish. The caller must call unlock.
func (s *Store) beginWrite(ctx context.Context, name string, create bool) (dir string, unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	if create {
		if err := s.ensureBundleDir(name); err != nil {
			return "", nil, err
		}
	}
	dir = s.BundleDir(name)
	if err := s.checkDirs(name); err != nil {
		return "", nil, err
	}
	lock, err := lockBundle(ctx, dir, s.LockTimeout)
	if err != nil {
		return "", nil, err
	}
	if err := removeLeftovers(dir); err != nil {
		lock.unlock()
		return "", nil, err
	}
	if err := checkVersionEntries(dir); err != nil {
		lock.unlock()
		return "", nil, err
	}
	return dir, lock.unlock, nil
}

// checkDirs applies the store and bundle directory checks; a missing
// bundle dir is reported as fs.ErrNotExist (Plan of a first publish
// tolerates it, writers other than publish refuse it).
func (s *Store) checkDirs(name string) error {
	if err := checkStoreDir(s.Dir); err != nil {
		return err
	}
	return checkBundleDir(s.BundleDir(name))
}

// checkDirsIfPresent is checkDirs for readers that also work on a bundle
// never published (Plan): a missing store or bundle dir is not an error.
func (s *Store) checkDirsIfPresent(name string) error {
	if err := s.checkDirs(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
