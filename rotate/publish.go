package rotate

import (
	"context"
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
	// Unchanged is set when a publish found its inputs identical to the
	// current version (same fullchain and key bytes): no version was made
	// and New is the current one. What follows a publish (extra outputs
	// now, reloads later) still runs: the operator asked for this
	// certificate to be live, and an unchanged store says nothing about
	// whether every server has picked it up.
	Unchanged bool `json:"unchanged,omitempty"`
	// Chosen says how a rollback without a version chose New ("current
	// before v0003 was published"); Skipped lists the versions it passed
	// over because they were rolled back as not verified.
	Chosen  string   `json:"chosen,omitempty"`
	Skipped []string `json:"skipped,omitempty"`
	// WasRolledBack is set when a rollback made current, by name, a
	// version that had been rolled back ("rolled back: not verified
	// …"); its mark is cleared, as the operator chose it again.
	WasRolledBack string `json:"was_rolled_back,omitempty"`
	// Marked is set when the on_verify_fail rollback marked Old as
	// rolled back ("v0003 rolled back: not verified …").
	Marked string `json:"marked,omitempty"`
	// Pruned lists versions removed by retention, or to make room on a
	// file system short of space.
	Pruned []string `json:"pruned,omitempty"`
	// AlsoWritten lists extra single-file outputs replaced.
	AlsoWritten []string `json:"also_written,omitempty"`
	// AlsoFailed lists extra outputs that could not be replaced. The
	// publish itself succeeded, but these files still hold what they held.
	AlsoFailed []OutputFailure `json:"also_failed,omitempty"`
	// Warnings are problems after the swap that did not undo it (prune or
	// audit failures, an extra output's mode narrowed).
	Warnings []string `json:"warnings,omitempty"`
}

// OutputFailure is one extra output (--also-write) that was not replaced.
type OutputFailure struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// Publish validates inputs and, if they pass, makes them the current
// version of bundle name in one atomic step:
//
//  1. parse and validate: key matches leaf, chain ordered and verifying,
//     inside its validity window, no names lost versus current (unless
//     in.AllowNameChange), not expiring sooner than current (unless
//     in.AllowShorter); inputs identical to current make no version;
//  2. stage every file in .staging-* (O_EXCL, final modes), fsync each
//     file and the directory, after pruning first if the file system is
//     short of the space one version needs;
//  3. rename it to the next vNNNN and fsync the bundle directory;
//  4. rename a temporary symlink over `current` and fsync;
//  5. re-open `current` through the consistent reader and validate again;
//  6. prune beyond retention and write extra outputs.
//
// A refusal returns a *Refusal and leaves `current` untouched. A crash at
// any point leaves `current` naming a complete version; the next writer
// removes the leftovers. ctx bounds the wait for another writer's lock.
func (s *Store) Publish(ctx context.Context, name string, in Inputs) (*Result, error) {
	if s.ReadOnly {
		return nil, errorf("publish", name, ErrReadOnly)
	}
	res, err := s.publish(ctx, name, in)
	s.audit("publish", name, res, err)
	if err != nil {
		return nil, errorf("publish", name, err)
	}
	return res, nil
}

func (s *Store) publish(ctx context.Context, name string, in Inputs) (*Result, error) {
	if err := checkBundleName(name); err != nil {
		return nil, refuse(ReasonBadInput, "%v", err)
	}
	c, err := parseInputs(in, s.Roots)
	if err != nil {
		return nil, err
	}
	dir, unlock, err := s.beginWrite(ctx, name, true)
	if err != nil {
		return nil, err
	}
	defer unlock()

	res := &Result{Bundle: name, Action: "publish"}
	cur, curErr := currentVersion(dir)
	if cur != nil {
		res.Old = &VersionRef{Name: cur.name, VersionSummary: summarize(cur.chain[0])}
	}
	now := s.now()
	if cur != nil {
		err = c.validate(now, cur, in.rules())
	} else {
		// No readable current version: nothing to lose names against. A
		// broken current must not stop the publish that repairs it.
		err = c.validate(now, nil, publishRules{allowNameChange: true, allowShorter: true})
		if curErr != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("current version unreadable, replaced: %v", curErr))
		}
	}
	if err != nil {
		return res, err
	}

	files := versionFiles(c)
	if cur != nil && sameContent(cur.meta, files) {
		res.Unchanged = true
		res.New = *res.Old
		s.writeOutputs(res, in.AlsoWrite, files)
		return res, nil
	}
	next, err := nextVersion(dir)
	if err != nil {
		return res, err
	}
	res.Pruned, res.Warnings = s.makeRoom(dir, files, res.Warnings)
	// What is current now becomes next's recorded predecessor, the
	// default rollback target once next is current. It is written with
	// next's meta.json, so it is durable before the swap.
	previous := currentName(dir)
	staging, err := stage(dir, files, func(contents map[string][]byte) *Meta {
		return newMeta(next, previous, c, contents, in.Source, userAtHost(), now)
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
	res.Pruned = append(res.Pruned, pruned...)
	if err != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
	s.writeOutputs(res, in.AlsoWrite, files)
	return res, nil
}

// sameContent reports whether the files a publish would write hold the
// same certificates and key as the version meta describes: republishing
// them would only make a duplicate version to scroll past in `store ls`
// and to roll back to for nothing.
func sameContent(meta *Meta, files []stagedFile) bool {
	for _, f := range files {
		if f.name != FullchainFile && f.name != KeyFile {
			continue
		}
		if sum, ok := meta.Files[f.name]; !ok || sum != digest(f.data) {
			return false
		}
	}
	return true
}

// writeOutputs replaces the extra single-file outputs (key + fullchain in
// one file, as Postfix and HAProxy read it) after a successful publish.
// A failure does not undo the publish; it is reported in res.AlsoFailed so
// the caller can exit non-zero and name the stale file.
func (s *Store) writeOutputs(res *Result, targets []string, files []stagedFile) {
	if len(targets) == 0 {
		return
	}
	var bundle []byte
	for _, f := range files {
		if f.name == BundleFile {
			bundle = f.data
		}
	}
	for _, target := range targets {
		rep, err := WriteFileAtomic(target, bundle, privateMode)
		if err != nil {
			res.AlsoFailed = append(res.AlsoFailed, OutputFailure{Path: target, Error: err.Error()})
			continue
		}
		res.AlsoWritten = append(res.AlsoWritten, target)
		if rep.Note != "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("also-write %s: %s", target, rep.Note))
		}
	}
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
