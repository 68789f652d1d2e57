package rotate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// prune removes versions beyond retention: it keeps the newest Keep good
// versions (versions rolled back as not verified fill only the places
// good ones leave, and go first), and always `current` and the default
// rollback target
// (chooseRollback), whatever Keep says. A version replaced less than the
// prune grace ago is kept too: a reader holding it (Open) must be able
// to finish its reads, however many publishes follow in quick
// succession. Each doomed version is first renamed to a .prune-* name,
// so a crash mid-removal never leaves a half-deleted vNNNN that looks
// like a valid rollback target. The caller holds the lock.
func (s *Store) prune(dir string) ([]string, error) {
	return s.pruneTo(dir, s.keep(), func() bool { return false })
}

// pruneTo removes the versions retention gives up, in its order (rolled
// back ones first, then good ones oldest first), under the same
// protections as prune, and stops early once enough() is true.
func (s *Store) pruneTo(dir string, keepN int, enough func() bool) ([]string, error) {
	victims, _, err := s.retention(dir, keepN)
	if err != nil {
		return nil, err
	}
	var pruned []string
	all, err := listVersions(dir)
	if err != nil {
		return nil, err
	}
	for _, v := range victims {
		if enough() {
			break
		}
		if len(all) > 0 && v == all[len(all)-1] && recordedHighest(dir) < versionNumber(v) {
			if err := recordHighest(dir, v); err != nil {
				return pruned, fmt.Errorf("prune %s: %w", v, err)
			}
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

// PruneDecision is what retention does with one version, and why: kept
// as "current", "rollback target", "one of the newest 3 good versions",
// "replaced 12s ago: kept 1m0s so readers can finish", or, for a version
// rolled back as not verified, while fewer good versions than keep
// exist; removed as "rolled back: not verified …" or "beyond the newest
// 3 good versions".
type PruneDecision struct {
	Version string `json:"version"`
	Remove  bool   `json:"remove"`
	Why     string `json:"why"`
}

func (d PruneDecision) String() string { return d.Version + " (" + d.Why + ")" }

// retention decides the fate of every version of the bundle in dir when
// the newest keepN good versions are kept: the versions to remove, in
// the order to remove them (rolled back as not verified first, then good
// ones oldest first), and one decision per version, oldest first. It
// never gives up current, the default rollback target, nor a version
// inside the prune grace. PlanPrune shows the same.
func (s *Store) retention(dir string, keepN int) ([]string, []PruneDecision, error) {
	vs, err := listVersions(dir)
	if err != nil {
		return nil, nil, err
	}
	cur := currentName(dir)
	target := chooseRollback(dir, vs, cur).Version
	// keepN slots go to good versions first, newest first; a version
	// rolled back as not verified gets a slot only when fewer good ones
	// exist, so it is always given up before any good one.
	marks := map[string]*RollbackMark{}
	slots := keepN
	newestGood := map[string]bool{}
	for i := len(vs) - 1; i >= 0; i-- {
		if m := readMark(dir, vs[i]); m != nil {
			marks[vs[i]] = m
			continue
		}
		if slots > 0 {
			newestGood[vs[i]] = true
			slots--
		}
	}
	spare := map[string]bool{}
	for i := len(vs) - 1; i >= 0 && slots > 0; i-- {
		if marks[vs[i]] != nil {
			spare[vs[i]] = true
			slots--
		}
	}
	grace := s.pruneGrace()
	decisions := make([]PruneDecision, len(vs))
	var rolledBack, beyond []string
	for i, v := range vs {
		var keep []string
		if v == cur {
			keep = append(keep, "current")
		}
		if v == target {
			keep = append(keep, "rollback target")
		}
		if newestGood[v] {
			keep = append(keep, fmt.Sprintf("one of the newest %d good %s", keepN, plural(keepN, "version")))
		}
		if spare[v] {
			keep = append(keep, fmt.Sprintf("%s, kept while there are fewer than %d good versions", marks[v], keepN))
		}
		if grace > 0 && v != cur { // current was not replaced: it is what replaced
			var successor string
			if i+1 < len(vs) {
				successor = vs[i+1]
			}
			// A reader that opened v just before it stopped being
			// current may still be reading it: give it the grace.
			rolledFrom := cur != "" && versionNumber(v) > versionNumber(cur)
			if ago, ok := replacedWithin(dir, v, successor, marks[v] != nil, rolledFrom, grace); ok {
				keep = append(keep, fmt.Sprintf("replaced %s ago: kept %s so readers can finish", ago.Round(time.Second), grace))
			}
		}
		decisions[i] = PruneDecision{Version: v, Why: strings.Join(keep, ", ")}
		if len(keep) > 0 {
			continue
		}
		decisions[i].Remove = true
		if m := marks[v]; m != nil {
			decisions[i].Why = m.String()
			rolledBack = append(rolledBack, v)
			continue
		}
		decisions[i].Why = fmt.Sprintf("beyond the newest %d good %s", keepN, plural(keepN, "version"))
		beyond = append(beyond, v)
	}
	return append(rolledBack, beyond...), decisions, nil
}

// replacedWithin reports how long ago v stopped being current, when that
// was less than grace ago: by the directory mtime of successor (the
// version published after it: the moment its last file was staged, just
// before it went live); for a version the on_verify_fail rollback moved
// away from, by the mtime of its mark; for one newer than current
// (rolledFrom: a rollback moved away from it), by its own directory's
// mtime, which a rollback sets just before its swap.
func replacedWithin(dir, v, successor string, marked, rolledFrom bool, grace time.Duration) (time.Duration, bool) {
	var paths []string
	if successor != "" {
		paths = append(paths, filepath.Join(dir, successor))
	}
	if marked {
		paths = append(paths, filepath.Join(dir, v, RolledBackFile))
	}
	if rolledFrom {
		paths = append(paths, filepath.Join(dir, v))
	}
	best, found := time.Duration(0), false
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if ago := time.Since(st.ModTime()); ago < grace && (!found || ago < best) {
			best, found = max(ago, 0), true
		}
	}
	return best, found
}

// PruneResult reports a prune: what went, what stayed, and why.
type PruneResult struct {
	Bundle  string   `json:"bundle"`
	Pruned  []string `json:"pruned"`
	Kept    []string `json:"kept"`
	Current string   `json:"current,omitempty"`
	// Versions is retention's decision on every version, oldest first.
	Versions []PruneDecision `json:"versions,omitempty"`
	// Warnings are problems that did not stop the prune (the audit log).
	Warnings []string `json:"warnings,omitempty"`
}

// Prune applies retention to bundle name without publishing (`certdeck
// store prune`): it keeps the newest s.Keep good versions, removes
// versions rolled back as not verified first, never removes `current`,
// the default rollback target or a version still inside the prune grace,
// and appends one audit line. ctx bounds the wait for another writer's lock.
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
	_, res.Versions, err = s.retention(dir, s.keep())
	if err != nil {
		return err
	}
	res.Pruned, err = s.prune(dir)
	res.Current = currentName(dir)
	res.Kept, _ = listVersions(dir)
	return err
}

// PrunePlan is what Prune would remove, for `store prune --dry-run`.
type PrunePlan struct {
	Bundle  string   `json:"bundle"`
	Current string   `json:"current,omitempty"`
	Remove  []string `json:"remove"` // in the order Prune removes them
	Keep    []string `json:"keep"`
	// Versions is retention's decision on every version, oldest first.
	Versions []PruneDecision `json:"versions,omitempty"`
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
	victims, decisions, err := s.retention(dir, s.keep())
	if err != nil {
		return nil, errorf("plan prune", name, err)
	}
	p := &PrunePlan{Bundle: name, Current: currentName(dir), Remove: victims, Versions: decisions}
	for _, d := range decisions {
		if !d.Remove {
			p.Keep = append(p.Keep, d.Version)
		}
	}
	return p, nil
}
