package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tester's report, through the CLI: after `rotate undo --reload` was
// not served and rolled back automatically (v0002), and v0003 was
// published, `rollback --dry-run`, `reload --dry-run` and `store prune`
// all take v0001 (the version current before v0003) as the rollback
// target; prune removes v0002, never v0001; `store ls` shows the mark.
func TestRollbackAndPruneAfterAnAutomaticRollbackKeepTheLastGoodVersion(t *testing.T) {
	f := newReloadFleet(t) // undo: v0001
	args, _ := f.publishArgs(t, "undo", "--reload")
	if out, code, msg := runRotateCmd(t, args...); code != actionRolledBack {
		t.Fatalf("rotate undo --reload: code %d, out %q, err %q; want rolled back", code, out, msg)
	}
	f.publish(t, "undo") // v0003, over v0001
	if f.current(t, "undo") != "v0003" {
		t.Fatalf("current %s, want v0003", f.current(t, "undo"))
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rollback", "undo", "--store", f.store, "--dry-run"}, "rollback undo: v0003 → v0001"},
		{[]string{"rollback", "undo", "--config", f.config, "--reload", "--dry-run"}, "swap current v0003 → v0001 (current before v0003 was published)"},
		{[]string{"reload", "undo", "--config", f.config, "--dry-run"}, "if verification fails: roll undo back to v0001"},
		{[]string{"store", "ls", "undo", "--store", f.store}, "rolled back: not verified"},
	} {
		out, code, msg := runRotateCmd(t, tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: code %d, err %q; want %q in:\n%s", tc.args, code, msg, tc.want, out)
		}
	}

	// Past the one-minute rule.
	hourAgo := time.Now().Add(-time.Hour)
	for _, p := range []string{"v0001", "v0002", "v0003", "v0002/rolled-back.json"} {
		os.Chtimes(filepath.Join(f.store, "undo", p), hourAgo, hourAgo)
	}
	out, code, msg := runRotateCmd(t, "store", "prune", "undo", "--store", f.store, "--keep", "1")
	if code != 0 || !strings.Contains(out, "pruned undo: v0002 (rolled back: not verified ") ||
		!strings.Contains(out, "kept v0001 (rollback target), v0003 (current, one of the newest 1 good version)") {
		t.Fatalf("store prune --keep 1: code %d, err %q, out:\n%s", code, msg, out)
	}
	for v, want := range map[string]bool{"v0001": true, "v0002": false, "v0003": true} {
		if _, err := os.Stat(filepath.Join(f.store, "undo", v)); (err == nil) != want {
			t.Errorf("after prune: %s exists = %v, want %v", v, err == nil, want)
		}
	}
}
