package rotate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Rollback makes an older version current again with the same atomic
// symlink swap as Publish. version "" means the default target
// (chooseRollback): the version that was current when the present one was
// published, passing over versions rolled back as not verified; a version
// named explicitly is made current even if it was rolled back, and the
// result says so (its mark is cleared: an operator chose it again).
// The target is read back completely and checked (files match meta.json,
// key matches certificate, certificate still inside its validity window)
// before the swap; a refusal leaves `current` untouched. ctx bounds the
// wait for another writer's lock.
func (s *Store) Rollback(ctx context.Context, name, version string) (*Result, error) {
	return s.rollbackAudited(ctx, name, rollbackRequest{to: version})
}

// RollbackUnverified is the on_verify_fail rollback: it moves `current`
// away from version from, which was not served, to the default target,
// and marks from "rolled back: not verified" so that no later rollback
// without a version picks it and retention removes it first. It is
// refused when from is no longer current: another writer has published
// since, and the version it verified is not the one live now.
func (s *Store) RollbackUnverified(ctx context.Context, name, from string) (*Result, error) {
	return s.rollbackAudited(ctx, name, rollbackRequest{from: from, markNotVerified: true})
}

// rollbackRequest is what a rollback was asked for.
type rollbackRequest struct {
	to              string // "": the default target
	from            string // "": whatever is current
	markNotVerified bool   // mark the version moved away from
}

func (s *Store) rollbackAudited(ctx context.Context, name string, req rollbackRequest) (*Result, error) {
	if s.ReadOnly {
		return nil, errorf("rollback", name, ErrReadOnly)
	}
	res, err := s.rollback(ctx, name, req)
	s.audit("rollback", name, res, err)
	if err != nil {
		return nil, errorf("rollback", name, err)
	}
	return res, nil
}

func (s *Store) rollback(ctx context.Context, name string, req rollbackRequest) (*Result, error) {
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
	if req.from != "" {
		if cur := currentName(dir); cur != req.from {
			return res, refuse(ReasonNoVersion, "current is %s, not %s: another writer changed it since; not rolling back", orNone(cur), req.from)
		}
	}
	target, err := s.rollbackTarget(dir, req.to, res)
	if err != nil {
		return res, err
	}
	// The swap is the only step that changes what is served; the mark
	// is written after it, so a crash in between leaves an unmarked
	// version that is not current. Its successors still record the
	// right predecessor (they record what was current, not numbers).
	if res.Old != nil {
		// Prune's grace counts from the moment a version stopped being
		// current: for the one a rollback leaves, that is now (a reader
		// that opened it a moment ago may still be reading it).
		now := time.Now()
		_ = os.Chtimes(filepath.Join(dir, res.Old.Name), now, now)
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
	if res.WasRolledBack != "" {
		if err := clearMark(dir, target.name); err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
	}
	if req.markNotVerified && res.Old != nil {
		m := RollbackMark{At: s.now().UTC(), Reason: ReasonNotVerified, To: target.name, By: userAtHost()}
		if err := writeMark(dir, res.Old.Name, m); err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		} else {
			res.Marked = res.Old.Name + " " + m.String()
		}
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
	named := version != ""
	if !named {
		c := chooseRollback(dir, vs, cur)
		res.Chosen, res.Skipped = c.Why, c.Skipped
		version = c.Version
		if version == "" {
			if len(c.Skipped) > 0 {
				return nil, refuse(ReasonNoVersion, "no version before %s to roll back to but versions rolled back as not verified: %s (name one to make it current anyway)",
					orNone(cur), strings.Join(c.Skipped, ", "))
			}
			return nil, refuse(ReasonNoVersion, "no version before %s to roll back to", orNone(cur))
		}
	}
	if !IsVersionName(version) || !slices.Contains(vs, version) {
		return nil, refuse(ReasonNoVersion, "%s is not a version of this bundle (have %v)", version, vs)
	}
	if version == cur {
		return nil, refuse(ReasonNoVersion, "%s is already current", version)
	}
	if named {
		if m := readMark(dir, version); m != nil {
			res.WasRolledBack = m.String()
		}
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
