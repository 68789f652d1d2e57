package rotate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// VersionRef names a version and summarises its leaf certificate.
type VersionRef struct {
	Name string `json:"version"`
	VersionSummary
}

// Result reports a completed publish or rollback.
type Result struct {
	Bundle string      `json:"bundle"`
	Action string      `json:"action"` // "publish" or "rollback"
	Old    *VersionRef `json:"old,omitempty"`
	New    VersionRef  `json:"new"`
	// Pruned lists versions removed by retention.
	Pruned []string `json:"pruned,omitempty"`
	// AlsoWritten lists extra single-file outputs replaced.
	AlsoWritten []string `json:"also_written,omitempty"`
	// Warnings are problems after the swap that did not undo it (prune or
	// audit failures, an extra output that could not be written).
	Warnings []string `json:"warnings,omitempty"`
}

// Publish validates inputs and, if they pass, makes them the current
// version of bundle name in one atomic step:
//
//  1. parse and validate: key matches leaf, chain ordered and verifying,
//     inside its validity window, no names lost versus current (unless
//     in.AllowNameChange);
//  2. stage every file in .staging-* (O_EXCL, final modes), fsync each
//     file and the directory;
//  3. rename it to the next vNNNN and fsync the bundle directory;
//  4. rename a temporary symlink over `current` and fsync;
//  5. re-open `current` through the consistent reader and validate again;
//  6. prune beyond retention and write extra outputs.
//
// A refusal returns a *Refusal and leaves `current` untouched. A crash at
// any point leaves `current` naming a complete version; the next writer
// removes the leftovers.
func (s *Store) Publish(name string, in Inputs) (*Result, error) {
	if s.ReadOnly {
		return nil, errorf("publish", name, ErrReadOnly)
	}
	res, err := s.publish(name, in)
	s.audit("publish", name, res, err)
	if err != nil {
		return nil, errorf("publish", name, err)
	}
	return res, nil
}

func (s *Store) publish(name string, in Inputs) (*Result, error) {
	if err := checkBundleName(name); err != nil {
		return nil, refuse(ReasonBadInput, "%v", err)
	}
	c, err := parseInputs(in, s.Roots)
	if err != nil {
		return nil, err
	}
	dir, err := s.ensureBundleDir(name)
	if err != nil {
		return nil, err
	}
	lock, err := lockBundle(dir, s.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	if err := removeLeftovers(dir); err != nil {
		return nil, err
	}

	res := &Result{Bundle: name, Action: "publish"}
	cur, curErr := currentVersion(dir)
	if cur != nil {
		res.Old = &VersionRef{Name: cur.name, VersionSummary: summarize(cur.chain[0])}
	}
	now := s.now()
	if cur != nil {
		err = c.validate(now, cur.chain[0], in.AllowNameChange)
	} else {
		// No readable current version: nothing to lose names against. A
		// broken current must not stop the publish that repairs it.
		err = c.validate(now, nil, true)
		if curErr != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("current version unreadable, replaced: %v", curErr))
		}
	}
	if err != nil {
		return res, err
	}

	next, err := nextVersion(dir)
	if err != nil {
		return res, err
	}
	files := versionFiles(c)
	staging, err := stage(dir, files, func(contents map[string][]byte) *Meta {
		return newMeta(next, c, contents, in.Source, userAtHost(), now)
	})
	if err != nil {
		return res, err
	}
	if err := os.Rename(staging, filepath.Join(dir, next)); err != nil {
		os.RemoveAll(staging)
		return res, fmt.Errorf("rename staging to %s: %w", next, err)
	}
	if err := syncDir(dir); err != nil {
		return res, err
	}
	if err := swapCurrent(dir, next); err != nil {
		return res, err
	}
	res.New = VersionRef{Name: next, VersionSummary: c.summary}

	if err := verifyCurrent(dir, next, c.summary.SHA256); err != nil {
		// The published version does not read back as written (disk
		// trouble, a concurrent tamperer): put the old one back.
		if cur != nil {
			if rerr := swapCurrent(dir, cur.name); rerr != nil {
				return res, fmt.Errorf("%w; restoring %s also failed: %v", err, cur.name, rerr)
			}
		}
		return res, fmt.Errorf("%w (current restored to the previous version)", err)
	}

	pruned, err := s.prune(dir)
	res.Pruned = pruned
	if err != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
	if len(in.AlsoWrite) > 0 {
		bundle := files[4].data // bundle.pem: key + fullchain
		for _, target := range in.AlsoWrite {
			if err := WriteFileAtomic(target, bundle, privateMode); err != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("also-write %s: %v", target, err))
				continue
			}
			res.AlsoWritten = append(res.AlsoWritten, target)
		}
	}
	return res, nil
}

// verifyCurrent re-reads `current` through the consistent reader and checks
// it is the version just published and that it is internally consistent.
func verifyCurrent(dir, want, fingerprint string) error {
	v, err := Open(dir)
	if err != nil {
		return fmt.Errorf("re-read current: %w", err)
	}
	defer v.Close()
	if v.Name != want {
		return fmt.Errorf("re-read current: names %s, want %s (another writer bypassed the lock?)", v.Name, want)
	}
	lv, err := loadVersion(v)
	if err != nil {
		return fmt.Errorf("re-read current: %w", err)
	}
	if lv.meta.SHA256 != fingerprint {
		return errors.New("re-read current: certificate differs from the one published")
	}
	return nil
}
