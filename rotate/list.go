package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"
)

// VersionListing is one row of `store ls`.
type VersionListing struct {
	Bundle      string    `json:"bundle"`
	Version     string    `json:"version"`
	Current     bool      `json:"current"`
	Serial      string    `json:"serial,omitempty"`
	NotAfter    time.Time `json:"not_after,omitzero"`
	SANs        []string  `json:"sans,omitempty"`
	Source      string    `json:"source,omitempty"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	// Previous is the version that was current when this one was
	// published ("" when not recorded).
	Previous string `json:"previous,omitempty"`
	// RollbackTarget marks the version a rollback without a version
	// would make current now (and that retention never removes).
	RollbackTarget bool `json:"rollback_target,omitempty"`
	// RolledBack is the on_verify_fail rollback's mark, "rolled back:
	// not verified 2026-03-01T10:00:00Z"; such a version is never a
	// default rollback target and is pruned first.
	RolledBack string `json:"rolled_back,omitempty"`
	Error      string `json:"error,omitempty"` // meta.json missing or unreadable
}

// Bundles lists the bundle names in the store, sorted.
func (s *Store) Bundles() ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("list store %s: %w", s.Dir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && checkBundleName(e.Name()) == nil {
			if _, err := os.Lstat(s.BundleDir(e.Name()) + "/" + CurrentLink); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Versions lists the versions of bundle name, oldest first, from their
// meta.json files (each read through its own directory handle).
func (s *Store) Versions(name string) ([]VersionListing, error) {
	if err := checkBundleName(name); err != nil {
		return nil, err
	}
	dir := s.BundleDir(name)
	vs, err := listVersions(dir)
	if err != nil {
		return nil, err
	}
	cur := currentName(dir)
	target := chooseRollback(dir, vs, cur).Version
	var out []VersionListing
	for _, v := range vs {
		row := VersionListing{Bundle: name, Version: v, Current: v == cur, RollbackTarget: v == target}
		if m, err := readMeta(dir, v); err != nil {
			row.Error = err.Error()
		} else {
			row.Serial, row.NotAfter, row.SANs = m.Serial, m.NotAfter, m.SANs
			row.Source, row.PublishedAt, row.Previous = m.Source, m.PublishedAt, m.Previous
		}
		if mark := readMark(dir, v); mark != nil {
			row.RolledBack = mark.String()
		}
		out = append(out, row)
	}
	return out, nil
}

func readMeta(dir, version string) (*Meta, error) {
	v, err := openVersion(dir, version)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	b, err := v.ReadFile(MetaFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("no meta.json")
		}
		return nil, err
	}
	return ParseMeta(b)
}
