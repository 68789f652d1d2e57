package rotate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// prune removes versions beyond retention: it keeps the newest Keep
// versions, and always `current` and the version before it (the rollback
// target), whatever Keep says. A version whose successor is younger than
// the prune grace is kept too: a reader holding it (Open) must be able to
// finish its reads, however many publishes follow in quick succession.
// Each doomed version is first renamed to a .prune-* name, so a crash
// mid-removal never leaves a half-deleted vNNNN that looks like a valid
// rollback target. The caller holds the lock.
func (s *Store) prune(dir string) ([]string, error) {
	return s.pruneTo(dir, s.keep(), func() bool { return false })
}

// pruneTo removes versions beyond the newest keep, oldest first, under the
// same protections as prune, and stops early once enough() is true.
func (s *Store) pruneTo(dir string, keepN int, enough func() bool) ([]string, error) {
	victims, err := s.pruneVictims(dir, keepN)
	if err != nil {
		return nil, err
	}
	var pruned []string
	for _, v := range victims {
		if enough() {
			break
		}
		doomed := filepath.Join(dir, prunePrefix+v+"-"+randomSuffix())
		if err := os.Rename(filepath.Join(dir, v), doomed); err != nil {
			return pruned, fmt.Errorf("prune %s: %w", v, err)
		}
		if err := os.RemoveAll(doomed); err != nil {
			return pruned, fmt.Errorf("prune %s: %w", v, err)
		}
		pruned = append(pruned, v)
	}
	// No directory fsync here: a prune that a crash undoes is harmless.
	// The next writer removes .prune-* leftovers, and a version brought
	// back incomplete is refused by Rollback (loadVersion checks every
	// file against meta.json). Skipping it keeps a sync off the publish.
	return pruned, nil
}

// pruneVictims lists, oldest first, the versions beyond the newest keepN
// that retention may remove: never current or the one before it, nor one
// whose successor is inside the prune grace. PlanPrune shows the same.
func (s *Store) pruneVictims(dir string, keepN int) ([]string, error) {
	vs, err := listVersions(dir)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for i := len(vs) - 1; i >= 0 && len(vs)-i <= keepN; i-- {
		keep[vs[i]] = true
	}
	cur := currentName(dir)
	if cur != "" {
		keep[cur] = true
		if prev := previousVersion(vs, cur); prev != "" {
			keep[prev] = true
		}
	}
	grace := s.pruneGrace()
	var victims []string
	for i, v := range vs {
		if keep[v] {
			continue
		}
		if grace > 0 && i+1 < len(vs) && recentlyReplaced(dir, vs[i+1], grace) {
			// A reader that opened v just before its successor went live
			// may still be reading it: give it the grace period.
			continue
		}
		victims = append(victims, v)
	}
	return victims, nil
}

// recentlyReplaced reports whether successor (the version published after
// the candidate for pruning) appeared less than grace ago, by its directory
// mtime: the moment its last file was staged, just before it went live.
func recentlyReplaced(dir, successor string, grace time.Duration) bool {
	st, err := os.Stat(filepath.Join(dir, successor))
	if err != nil {
		return false
	}
	return time.Since(st.ModTime()) < grace
}

// previousVersion is the highest version below cur, "" if none.
func previousVersion(sorted []string, cur string) string {
	i := slices.Index(sorted, cur)
	if i <= 0 {
		return ""
	}
	return sorted[i-1]
}

// PruneResult reports a prune: what went, what stayed.
type PruneResult struct {
	Bundle  string   `json:"bundle"`
	Pruned  []string `json:"pruned"`
	Kept    []string `json:"kept"`
	Current string   `json:"current,omitempty"`
	// Warnings are problems that did not stop the prune (the audit log).
	Warnings []string `json:"warnings,omitempty"`
}

// Prune applies retention to bundle name without publishing (`certdeck
// store prune`): it removes versions beyond s.Keep, never `current` or the
// version before it, nor a version still inside the prune grace, and
// appends one audit line. ctx bounds the wait for another writer's lock.
func (s *Store) Prune(ctx context.Context, name string) (*PruneResult, error) {
	if s.ReadOnly {
		return nil, errorf("prune", name, ErrReadOnly)
	}
	res := &PruneResult{Bundle: name}
	err := s.pruneBundle(ctx, name, res)
	s.auditPrune(res, err)
	if err != nil {
		return res, errorf("prune", name, err)
	}
	return res, nil
}

func (s *Store) pruneBundle(ctx context.Context, name string, res *PruneResult) error {
	if err := checkBundleName(name); err != nil {
		return err
	}
	dir, unlock, err := s.beginWrite(ctx, name, false)
	if err != nil {
		return err
	}
	defer unlock()
	res.Pruned, err = s.prune(dir)
	res.Current = currentName(dir)
	res.Kept, _ = listVersions(dir)
	return err
}

// PrunePlan is what Prune would remove, for `store prune --dry-run`.
type PrunePlan struct {
	Bundle  string   `json:"bundle"`
	Current string   `json:"current,omitempty"`
	Remove  []string `json:"remove"`
	Keep    []string `json:"keep"`
}

// PlanPrune reports which versions Prune would remove now, without
// locking or changing anything.
func (s *Store) PlanPrune(ctx context.Context, name string) (*PrunePlan, error) {
	if err := ctx.Err(); err != nil {
		return nil, errorf("plan prune", name, err)
	}
	if err := checkBundleName(name); err != nil {
		return nil, errorf("plan prune", name, refuse(ReasonBadInput, "%v", err))
	}
	if err := s.checkDirsIfPresent(name); err != nil {
		return nil, errorf("plan prune", name, err)
	}
	dir := s.BundleDir(name)
	victims, err := s.pruneVictims(dir, s.keep())
	if err != nil {
		return nil, errorf("plan prune", name, err)
	}
	all, _ := listVersions(dir)
	p := &PrunePlan{Bundle: name, Current: currentName(dir), Remove: victims}
	for _, v := range all {
		if !slices.Contains(victims, v) {
			p.Keep = append(p.Keep, v)
		}
	}
	return p, nil
}
