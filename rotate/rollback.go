package rotate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
)

// Rollback makes an older version current again with the same atomic
// symlink swap as Publish. version "" means the version before current.
// The target is read back completely and checked (files match meta.json,
// key matches certificate, certificate still inside its validity window)
// before the swap; a refusal leaves `current` untouched. ctx bounds the
// wait for another writer's lock.
func (s *Store) Rollback(ctx context.Context, name, version string) (*Result, error) {
	if s.ReadOnly {
		return nil, errorf("rollback", name, ErrReadOnly)
	}
	res, err := s.rollback(ctx, name, version)
	s.audit("rollback", name, res, err)
	if err != nil {
		return nil, errorf("rollback", name, err)
	}
	return res, nil
}

func (s *Store) rollback(ctx context.Context, name, version string) (*Result, error) {
	if err := checkBundleName(name); err != nil {
		return nil, refuse(ReasonBadInput, "%v", err)
	}
	dir, unlock, err := s.beginWrite(ctx, name, false)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, refuse(ReasonNoVersion, "bundle %s does not exist in %s", name, s.Dir)
		}
		return nil, err
	}
	defer unlock()
	res := &Result{Bundle: name, Action: "rollback"}
	target, err := s.rollbackTarget(dir, version, res)
	if err != nil {
		return res, err
	}
	if err := swapCurrent(dir, target.name); err != nil {
		return res, err
	}
	if err := verifyCurrent(dir, target.name, target.meta.SHA256); err != nil {
		if res.Old != nil {
			if rerr := swapCurrent(dir, res.Old.Name); rerr != nil {
				return res, fmt.Errorf("%w; restoring %s also failed: %v", err, res.Old.Name, rerr)
			}
		}
		return res, err
	}
	return res, nil
}

// rollbackTarget picks and validates the version to roll back to, filling
// res.Old and res.New. The caller holds the lock.
func (s *Store) rollbackTarget(dir, version string, res *Result) (*loadedVersion, error) {
	vs, err := listVersions(dir)
	if err != nil {
		return nil, err
	}
	cur := currentName(dir)
	if cur != "" {
		if lv, err := currentVersion(dir); err == nil && lv != nil {
			res.Old = &VersionRef{Name: cur, VersionSummary: summarize(lv.chain[0])}
		} else {
			res.Old = &VersionRef{Name: cur}
		}
	}
	if version == "" {
		version = previousVersion(vs, cur)
		if version == "" {
			return nil, refuse(ReasonNoVersion, "no version before %s to roll back to", orNone(cur))
		}
	}
	if !IsVersionName(version) || !slices.Contains(vs, version) {
		return nil, refuse(ReasonNoVersion, "%s is not a version of this bundle (have %v)", version, vs)
	}
	if version == cur {
		return nil, refuse(ReasonNoVersion, "%s is already current", version)
	}
	v, err := openVersion(dir, version)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	lv, err := loadVersion(v)
	if err != nil {
		return nil, refuse(ReasonBadInput, "version %s is damaged: %v", version, err)
	}
	now := s.now()
	leaf := lv.chain[0]
	if now.After(leaf.NotAfter) {
		return nil, refuse(ReasonExpired, "%s holds a certificate that expired %s", version, leaf.NotAfter.UTC().Format("2006-01-02"))
	}
	if now.Before(leaf.NotBefore) {
		return nil, refuse(ReasonNotYetValid, "%s holds a certificate not valid until %s", version, leaf.NotBefore.UTC().Format("2006-01-02"))
	}
	res.New = VersionRef{Name: version, VersionSummary: summarize(leaf)}
	return lv, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
