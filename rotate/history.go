package rotate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Rollback history. Two records decide where a rollback without --to
// goes, and what retention removes first:
//
//   - meta.json's previous: the version that was current when a version
//     was published. It is staged with the version, so it is durable
//     before the swap of `current` that makes the version live.
//   - rolled-back.json in a version directory: written when the engine's
//     on_verify_fail rollback moved away from that version because it was
//     not served. A rollback without --to never goes back to such a
//     version, and retention removes it before any good one.
//
// A store written before these records existed has neither, and falls
// back to the numeric rule (the highest version below current).

// RolledBackFile is the mark the on_verify_fail rollback leaves in the
// version it moved away from. It is the one file ever added to a version
// after it was published; the files meta.json lists never change.
const RolledBackFile = "rolled-back.json"

// markTempPrefix names the temporary file a mark is written to, in the
// bundle directory, before it is renamed into the version directory; a
// crashed writer's leftover is swept like the other prefixes (stage.go).
const markTempPrefix = ".rolled-back.tmp-"

// maxMarkSize bounds rolled-back.json; a real one is about 150 bytes.
const maxMarkSize = 4 << 10

// RollbackMark is the content of rolled-back.json.
type RollbackMark struct {
	At     time.Time `json:"rolled_back_at"`
	Reason string    `json:"reason"`          // "not verified"
	To     string    `json:"to,omitempty"`    // the version made current instead
	By     string    `json:"by,omitempty"`    // user@host
	Error  string    `json:"error,omitempty"` // set when the file could not be read
}

// ReasonNotVerified is the reason of a mark left by on_verify_fail.
const ReasonNotVerified = "not verified"

// String is the mark as `store ls`, plans and prune say it: "rolled back:
// not verified 2026-03-01T10:00:00Z".
func (m *RollbackMark) String() string {
	if m.Error != "" {
		return "rolled back (mark unreadable: " + m.Error + ")"
	}
	return fmt.Sprintf("rolled back: %s %s", m.Reason, m.At.UTC().Format(time.RFC3339))
}

// readMark reads version's rolled-back.json; nil when it has none. A mark
// that exists but cannot be read counts as a mark: a version someone
// rolled back must not become a default target again because its file
// is damaged.
func readMark(dir, version string) *RollbackMark {
	v, err := openVersion(dir, version)
	if err != nil {
		return nil
	}
	defer v.Close()
	b, err := v.ReadFile(RolledBackFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &RollbackMark{Error: err.Error()}
	}
	if len(b) > maxMarkSize {
		return &RollbackMark{Error: "larger than 4 KiB"}
	}
	var m RollbackMark
	if err := json.Unmarshal(b, &m); err != nil || m.Reason == "" {
		return &RollbackMark{Error: "not a rollback mark"}
	}
	m.Error = ""
	return &m
}

// writeMark records m in version's directory: written and fsynced under a
// temporary name in the bundle directory, renamed into the version
// directory, which is then fsynced. Readers see the whole mark or none.
// The caller holds the lock.
func writeMark(dir, version string, m RollbackMark) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("mark %s rolled back: %w", version, err)
	}
	tmp := filepath.Join(dir, markTempPrefix+randomSuffix())
	if err := replaceDurably(tmp, filepath.Join(dir, version, RolledBackFile), append(data, '\n'), filepath.Join(dir, version)); err != nil {
		return fmt.Errorf("mark %s rolled back: %w", version, err)
	}
	return nil
}

// clearMark removes version's mark (an operator made it current again by
// name). The caller holds the lock.
func clearMark(dir, version string) error {
	err := os.Remove(filepath.Join(dir, version, RolledBackFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clear the rollback mark of %s: %w", version, err)
	}
	if err := syncDir(filepath.Join(dir, version)); err != nil {
		return fmt.Errorf("clear the rollback mark of %s: %w", version, err)
	}
	return nil
}

// rollbackChoice is the version a rollback without --to makes current,
// and why: which record chose it, which versions it passed over.
type rollbackChoice struct {
	Version string   // "" when there is none
	Why     string   // "current before v0003 was published"
	Skipped []string // "v0002 (rolled back: not verified 2026-…)"
}

// chooseRollback is the one rule for the default rollback target of a
// bundle whose current version is cur: the version that was current when
// cur was published (its meta.json previous), or, for a version that
// records none, the highest version below it; a version rolled back
// because it was not verified is passed over, for the one before it by
// the same rule. Every path uses it: Rollback and PlanRollback without a
// version (CLI rollback, the console's b, the reload's rollback leg, the
// on_verify_fail rollback after a publish) and retention, which never
// removes the version it names.
func chooseRollback(dir string, vs []string, cur string) rollbackChoice {
	if cur == "" {
		return rollbackChoice{}
	}
	cand, why := predecessor(dir, vs, cur)
	return walkBack(dir, vs, cand, why, cur)
}

// chooseAfterPublish is chooseRollback for the version a publish would
// add while cur is current: its recorded predecessor will be cur.
func chooseAfterPublish(dir string, vs []string, cur string) rollbackChoice {
	if cur == "" {
		return rollbackChoice{}
	}
	return walkBack(dir, vs, cur, "current before the publish", "")
}

// predecessor is the first candidate when v is current, and why.
func predecessor(dir string, vs []string, v string) (string, string) {
	if m, err := readMeta(dir, v); err == nil && m.Previous != "" {
		if slices.Contains(vs, m.Previous) {
			return m.Previous, "current before " + v + " was published"
		}
		below := highestBelow(vs, m.Previous)
		return below, fmt.Sprintf("the highest version below %s (current before %s was published, now gone)", m.Previous, v)
	}
	return highestBelow(vs, v), "the highest version below " + v + " (it records no predecessor)"
}

// walkBack takes cand unless it was rolled back as not verified, in which
// case it goes on to cand's own predecessor. Version numbers only fall
// along the way, and seen ends any loop a hand-edited meta.json makes.
func walkBack(dir string, vs []string, cand, why, exclude string) rollbackChoice {
	var c rollbackChoice
	seen := map[string]bool{}
	if exclude != "" {
		seen[exclude] = true
	}
	for cand != "" && !seen[cand] {
		seen[cand] = true
		m := readMark(dir, cand)
		if m == nil {
			c.Version, c.Why = cand, why
			return c
		}
		c.Skipped = append(c.Skipped, cand+" ("+m.String()+")")
		cand, why = predecessor(dir, vs, cand)
	}
	return c
}

// highestBelow is the highest version in sorted numbered below v, "" if
// none. v need not be in sorted.
func highestBelow(sorted []string, v string) string {
	n := versionNumber(v)
	for i := len(sorted) - 1; i >= 0; i-- {
		if versionNumber(sorted[i]) < n {
			return sorted[i]
		}
	}
	return ""
}
