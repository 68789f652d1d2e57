package rotate

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A rollback without a version goes to what was current when the present
// version was published, not to the numerically previous directory.
func TestRollbackGoesToTheVersionCurrentBeforeThePresentOne(t *testing.T) {
	s := newTestStore(t)
	dir := s.BundleDir("web")
	for range 3 {
		mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	}
	if _, err := s.Rollback(t.Context(), "web", "v0001"); err != nil {
		t.Fatal(err)
	}
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test"))) // v0004, published over v0001
	p, err := s.PlanRollback(t.Context(), "web", "")
	if err != nil || p.New.Name != "v0001" || !strings.Contains(p.Chosen, "current before v0004 was published") {
		t.Fatalf("plan = %+v, %v; want v0001, current before v0004 was published (not v0003)", p, err)
	}
	res, err := s.Rollback(t.Context(), "web", "")
	if err != nil || res.New.Name != "v0001" || currentTarget(t, dir) != "v0001" {
		t.Fatalf("rollback = %+v, %v", res, err)
	}
	// v0001 was the first version: there is nothing before it, whatever
	// the higher numbers beside it.
	if _, err := s.Rollback(t.Context(), "web", ""); err == nil {
		t.Fatal("rolled back past the first version")
	}
}

// A store written before versions recorded their predecessor keeps
// today's rule: the highest version below current.
func TestRollbackWithoutRecordsFallsBackToTheNumericRule(t *testing.T) {
	s := newTestStore(t)
	dir := s.BundleDir("web")
	for range 3 {
		mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	}
	vs, _ := listVersions(dir)
	for _, v := range vs {
		stripPrevious(t, filepath.Join(dir, v, MetaFile))
	}
	s.Rollback(t.Context(), "web", "v0001")
	s.Rollback(t.Context(), "web", "v0003")
	p, err := s.PlanRollback(t.Context(), "web", "")
	if err != nil || p.New.Name != "v0002" || !strings.Contains(p.Chosen, "records no predecessor") {
		t.Fatalf("plan = %+v, %v; want v0002 by the numeric rule", p, err)
	}
	rows, _ := s.Versions("web")
	if !rows[1].RollbackTarget || rows[0].RollbackTarget || rows[2].Previous != "" {
		t.Fatalf("store ls = %+v", rows)
	}
}

// stripPrevious rewrites a meta.json as certdeck wrote it before it kept
// the predecessor.
func stripPrevious(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "previous")
	out, _ := json.MarshalIndent(m, "", "  ")
	os.Remove(path)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The on_verify_fail rollback marks the version it leaves; a rollback
// without a version never goes back to it, a rollback that names it does
// and says it had been rolled back; a rollback that finds another
// version current than the one it verified is refused.
func TestUnverifiedVersionIsMarkedAndOnlyTakenBackByName(t *testing.T) {
	s := newTestStore(t)
	dir := s.BundleDir("web")
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))

	if _, err := s.RollbackUnverified(t.Context(), "web", "v0001"); err == nil || currentTarget(t, dir) != "v0002" {
		t.Fatalf("rollback away from v0001 while v0002 is current: %v, current %s", err, currentTarget(t, dir))
	}
	if readMark(dir, "v0001") != nil || readMark(dir, "v0002") != nil {
		t.Fatal("a refused rollback marked a version")
	}

	res, err := s.RollbackUnverified(t.Context(), "web", "v0002")
	if err != nil || res.New.Name != "v0001" || !strings.Contains(res.Describe(), "marked v0002 rolled back: not verified "+testNow.UTC().Format(time.RFC3339)) {
		t.Fatalf("rollback = %v; %v", res, err)
	}
	rows, _ := s.Versions("web")
	if rows[1].RolledBack != "rolled back: not verified "+testNow.UTC().Format(time.RFC3339) || rows[0].RolledBack != "" {
		t.Fatalf("store ls = %+v", rows)
	}
	var table strings.Builder
	WriteVersions(&table, rows, false)
	if !strings.Contains(table.String(), "rolled back: not verified") {
		t.Errorf("store ls table does not show the mark:\n%s", table.String())
	}

	p, err := s.PlanRollback(t.Context(), "web", "v0002")
	if err != nil || !strings.HasPrefix(p.WasRolledBack, "rolled back: not verified") {
		t.Fatalf("plan of a named rollback to v0002: %+v, %v", p, err)
	}
	res, err = s.Rollback(t.Context(), "web", "v0002")
	if err != nil || currentTarget(t, dir) != "v0002" || !strings.Contains(res.Describe(), "v0002 had been rolled back: not verified") {
		t.Fatalf("named rollback: %v, %v", res, err)
	}
	if readMark(dir, "v0002") != nil {
		t.Error("a version made current again by name keeps its mark")
	}

	// With every older version rolled back, there is nothing to go back
	// to without a name, and the refusal says what was passed over.
	if err := writeMark(dir, "v0001", RollbackMark{At: testNow, Reason: ReasonNotVerified, To: "v0000"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Rollback(t.Context(), "web", "")
	if r, ok := IsRefusal(err); !ok || r != ReasonNoVersion || !strings.Contains(err.Error(), "v0001 (rolled back: not verified") {
		t.Fatalf("rollback without a version from v0002: %v; want a refusal naming v0001 as rolled back", err)
	}
}

// Retention keeps the newest N good versions, never current or the
// rollback target; versions rolled back as not verified go first and do
// not count; the output says why each version stays or goes, the
// one-minute rule included.
func TestPruneRemovesRolledBackVersionsFirstAndSaysWhy(t *testing.T) {
	s := newTestStore(t)
	s.Keep = 10 // no retention while the history is made
	dir := s.BundleDir("web")
	for range 3 {
		mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	}
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test"))) // v0004
	if _, err := s.RollbackUnverified(t.Context(), "web", "v0004"); err != nil {
		t.Fatal(err)
	}
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test"))) // v0005 over v0003
	mark := "rolled back: not verified " + testNow.UTC().Format(time.RFC3339)
	if vs, _ := listVersions(dir); len(vs) != 5 {
		t.Fatalf("keep 10 removed versions: %v", vs)
	}
	p, err := s.PlanPrune(t.Context(), "web")
	if err != nil || len(p.Remove) != 0 || p.Versions[3].Why != mark+", kept while there are fewer than 10 good versions" {
		t.Fatalf("keep 10: plan %+v, %v", p, err)
	}
	s.Keep = 2
	p, err = s.PlanPrune(t.Context(), "web")
	if err != nil {
		t.Fatal(err)
	}
	want := []PruneDecision{
		{"v0001", true, "beyond the newest 2 good versions"},
		{"v0002", true, "beyond the newest 2 good versions"},
		{"v0003", false, "rollback target, one of the newest 2 good versions"},
		{"v0004", true, mark},
		{"v0005", false, "current, one of the newest 2 good versions"},
	}
	if !slices.Equal(p.Versions, want) || !slices.Equal(p.Remove, []string{"v0004", "v0001", "v0002"}) {
		t.Fatalf("plan = %+v\nwant %+v, removing v0004 first", p, want)
	}
	s.Keep = 1
	p, _ = s.PlanPrune(t.Context(), "web")
	if !slices.Equal(p.Keep, []string{"v0003", "v0005"}) {
		t.Fatalf("keep 1 keeps %v, want the rollback target and current", p.Keep)
	}

	// Inside the grace, a version just moved away from stays, and the
	// plan says for how long.
	s.PruneGrace = time.Minute
	p, _ = s.PlanPrune(t.Context(), "web")
	text := describeDecisions(p.Versions, p.Keep)
	if !slices.Contains(p.Keep, "v0004") || !strings.Contains(text, "v0004 (replaced 0s ago: kept 1m0s so readers can finish)") {
		t.Fatalf("inside the grace: keep %v: %s", p.Keep, text)
	}
	old := time.Now().Add(-time.Hour)
	for _, v := range []string{"v0002", "v0003", "v0004", "v0005"} {
		os.Chtimes(filepath.Join(dir, v), old, old)
	}
	os.Chtimes(filepath.Join(dir, "v0004", RolledBackFile), old, old)
	res, err := s.Prune(t.Context(), "web")
	if err != nil || !slices.Equal(res.Pruned, []string{"v0004", "v0001", "v0002"}) {
		t.Fatalf("prune = %+v, %v", res, err)
	}
	if got := res.Describe(); !strings.HasPrefix(got, "pruned web: v0004 (rolled back: not verified ") ||
		!strings.Contains(got, "; kept v0003 (rollback target), v0005 (current, one of the newest 1 good version)") {
		t.Fatalf("prune says %q", got)
	}
}

// A crash between the record and the swap leaves a store whose rollback
// target is what was current: the predecessor a version records is
// written with it, before `current` moves, and a version that never
// became current is never a rollback target. A crash after the swap of
// an on_verify_fail rollback but before its mark leaves the version
// unmarked and not current; what follows still records the right
// predecessor. A mark's temporary file is swept by the next writer.
func TestCrashBetweenRecordAndSwapLeavesASensibleRollbackTarget(t *testing.T) {
	s := newTestStore(t)
	dir := s.BundleDir("web")
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))

	// Killed after step 3 of a publish: v0003 renamed into place,
	// recording v0002, but never made current.
	c, err := parseInputs(inputsFor(issue(t, "web.example.test")), nil)
	if err != nil {
		t.Fatal(err)
	}
	staging, err := stage(dir, versionFiles(c), func(contents map[string][]byte) *Meta {
		return newMeta("v0003", currentName(dir), c, contents, "crash", "", testNow)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(staging, filepath.Join(dir, "v0003")); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PlanRollback(t.Context(), "web", ""); err != nil || p.Old.Name != "v0002" || p.New.Name != "v0001" {
		t.Fatalf("after the crash: plan %+v, %v; want v0002 → v0001", p, err)
	}
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test"))) // v0004
	if p, err := s.PlanRollback(t.Context(), "web", ""); err != nil || p.New.Name != "v0002" {
		t.Fatalf("after the next publish: plan %+v, %v; want v0002 (v0003 never was current)", p, err)
	}

	// Killed between the swap of an on_verify_fail rollback and its
	// mark: v0004 left unmarked, v0002 current, a mark's temp behind.
	if _, err := s.Rollback(t.Context(), "web", "v0002"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, markTempPrefix+"dead"), []byte("{"), 0o644)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test"))) // v0005
	if p, err := s.PlanRollback(t.Context(), "web", ""); err != nil || p.New.Name != "v0002" {
		t.Fatalf("after the unmarked rollback: plan %+v, %v; want v0002", p, err)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("leftovers survived the next publish: %v", l)
	}
}

// Environment of the rollback crash child: a test binary re-executed to
// publish and roll back as not verified in a loop until SIGKILLed.
const rollbackCrashChildEnv = "CERTDECK_ROLLBACK_CRASH_CHILD" // store dir

// TestRollbackCrashChild is the child's loop; it does nothing in a
// normal test run.
func TestRollbackCrashChild(t *testing.T) {
	dir := os.Getenv(rollbackCrashChildEnv)
	if dir == "" {
		t.Skip("the child of TestKilledRollbacksLeaveASensibleRollbackTarget")
	}
	// This process minted its own test PKI: the parent's root comes in
	// the pairs dir.
	ca, err := os.ReadFile(filepath.Join(os.Getenv(crashPairsEnv), "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var ins []Inputs
	for i := 0; ; i++ {
		full, err1 := os.ReadFile(filepath.Join(os.Getenv(crashPairsEnv), "full"+strconv.Itoa(i)+".pem"))
		key, err2 := os.ReadFile(filepath.Join(os.Getenv(crashPairsEnv), "key"+strconv.Itoa(i)+".pem"))
		if err1 != nil || err2 != nil {
			break
		}
		ins = append(ins, Inputs{Fullchain: full, Key: key, CA: ca, Source: "crash-child"})
	}
	s := &Store{Dir: dir, AuditLog: "-", PruneGrace: -1}
	fmt.Println("ready")
	for i := rand.IntN(len(ins)); ; i++ {
		res, err := s.Publish(context.Background(), "crash", ins[i%len(ins)])
		if err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(1)
		}
		if res.Unchanged || rand.IntN(2) == 0 {
			continue
		}
		if _, err := s.RollbackUnverified(context.Background(), "crash", res.New.Name); err != nil {
			if _, refused := IsRefusal(err); !refused {
				fmt.Fprintln(os.Stderr, "crash child:", err)
				os.Exit(1)
			}
		}
	}
}

// Publishers and on_verify_fail rollbacks SIGKILLed at random moments
// always leave `current` complete and unmarked, and a rollback target
// that is complete, not current and not rolled back.
func TestKilledRollbacksLeaveASensibleRollbackTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	pairs := mintPairs(t, 4)
	pairsDir := t.TempDir()
	os.WriteFile(filepath.Join(pairsDir, "ca.pem"), fixtures.root.RootPEM(), 0o644)
	for i, p := range pairs {
		os.WriteFile(filepath.Join(pairsDir, "full"+strconv.Itoa(i)+".pem"), p.FullchainPEM(), 0o644)
		os.WriteFile(filepath.Join(pairsDir, "key"+strconv.Itoa(i)+".pem"), p.KeyPEM(), 0o600)
	}
	s := newTestStore(t)
	s.Clock, s.AuditLog = nil, "-"
	dir := s.BundleDir("crash")
	mustPublish(t, s, "crash", inputsFor(pairs[0]))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const runs = 60
	for run := range runs {
		cmd := exec.Command(exe, "-test.run=^TestRollbackCrashChild$")
		cmd.Env = append(os.Environ(), rollbackCrashChildEnv+"="+s.Dir, crashPairsEnv+"="+pairsDir)
		killWhenReady(t, run, cmd, 25*time.Millisecond)
		checkCurrentComplete(t, dir)
		cur := currentTarget(t, dir)
		if m := readMark(dir, cur); m != nil {
			t.Fatalf("run %d: current %s is marked %s", run, cur, m)
		}
		vs, _ := listVersions(dir)
		target := chooseRollback(dir, vs, cur).Version
		if target == "" {
			continue
		}
		if target == cur || readMark(dir, target) != nil {
			t.Fatalf("run %d: rollback target %s (current %s, mark %v)", run, target, cur, readMark(dir, target))
		}
		v, err := openVersion(dir, target)
		if err != nil {
			t.Fatalf("run %d: rollback target %s: %v", run, target, err)
		}
		if _, err := loadVersion(v); err != nil {
			t.Fatalf("run %d: rollback target %s incomplete: %v", run, target, err)
		}
		v.Close()
	}
	mustPublish(t, s, "crash", inputsFor(issue(t, "torture.example.test")))
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("leftovers after the next publish: %v", l)
	}
}

// The reload's rollback leg picks the same target as a rollback, and
// marks the version it moved away from: the next rollback passes it over.
func TestReloadRollbackLegMarksTheVersionItLeaves(t *testing.T) {
	fx := newEngineFixture(t) // api: v0001, v0002 (current)
	fx.publishNotServed(t)    // v0003, rolled back to v0002
	fx.publishServed(t)       // v0004, recorded predecessor v0002
	calls := 0
	fx.behave["api-nginx"] = func(context.Context) ReloadResult {
		// The reload takes api-1 back to what it served before; the
		// rollback's reload makes it read the store again.
		calls++
		if calls == 1 {
			fx.servers.set("api-1", fx.serials["api"][0])
		} else {
			fx.servers.set("api-1", fx.currentSerial("api"))
		}
		return ReloadResult{}
	}
	a, err := fx.engine(false).ReloadBundle("api")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := a.Run(t.Context(), nil)
	if out.State != OutcomeRolledBack || out.Back.Store.New.Name != "v0002" || fx.current("api") != "v0002" {
		t.Fatalf("reload: state %s, rolled back to %+v, current %s; want rolled back to v0002", out.State, out.Back, fx.current("api"))
	}
	if !strings.Contains(out.Back.Store.Marked, "v0004 rolled back: not verified") {
		t.Errorf("rollback leg does not say it marked v0004: %q", out.Back.Store.Describe())
	}
	rows, err := fx.store.Versions("api")
	if err != nil {
		t.Fatal(err)
	}
	marked := map[string]bool{}
	for _, r := range rows {
		marked[r.Version] = strings.HasPrefix(r.RolledBack, "rolled back: not verified ")
	}
	if !marked["v0003"] || !marked["v0004"] || marked["v0002"] || marked["v0001"] {
		t.Fatalf("store ls marks %v, want v0003 and v0004", marked)
	}
	// Explicitly named, a rolled-back version is made current, and the
	// plan and result say it had been rolled back.
	rb, _ := fx.engine(false).Rollback(RollbackRequest{Bundle: "api", Version: "v0004"})
	p, err := rb.Plan(t.Context())
	if err != nil || !strings.Contains(strings.Join(p.Lines(), "\n"), "v0004 was rolled back: not verified") {
		t.Fatalf("plan of rollback --to v0004 (%v):\n%s", err, strings.Join(p.Lines(), "\n"))
	}
}

// A version a plain rollback moved away from is kept for the prune grace,
// counted from the rollback: a reader that opened it just before may still
// be reading it. Rolling back twice (v0003 → v0002 → v0001) leaves v0002
// neither current, nor the target, nor the newest: only the grace keeps it.
func TestPruneGraceCountsFromARollback(t *testing.T) {
	s := newTestStore(t)
	s.Keep = 3
	for range 3 {
		mustPublish(t, s, "g", inputsFor(issue(t, "g.example.test")))
	}
	s.Keep = 1
	dir := s.BundleDir("g")
	if _, err := s.Rollback(t.Context(), "g", "v0002"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for _, v := range []string{"v0001", "v0002", "v0003"} {
		os.Chtimes(filepath.Join(dir, v), old, old)
	}
	if _, err := s.Rollback(t.Context(), "g", "v0001"); err != nil {
		t.Fatal(err)
	}
	s.PruneGrace = time.Minute
	res, err := s.Prune(t.Context(), "g")
	if err != nil || slices.Contains(res.Pruned, "v0002") {
		t.Fatalf("prune right after rolling back from v0002 = %+v, %v; want v0002 kept", res, err)
	}
	if !strings.Contains(res.Describe(), "v0002 (replaced 0s ago: kept 1m0s so readers can finish)") {
		t.Fatalf("prune says %q", res.Describe())
	}
}

// A version number is never reused: prune removed the highest version
// (rolled back as not verified, so it goes first) and the next publish is
// one above it, not a second v0003 in the audit log and the records.
func TestPrunedHighestVersionNumberIsNotReused(t *testing.T) {
	s := newTestStore(t)
	s.Keep = 3
	for range 3 {
		mustPublish(t, s, "g", inputsFor(issue(t, "g.example.test")))
	}
	if _, err := s.RollbackUnverified(t.Context(), "g", "v0003"); err != nil {
		t.Fatal(err)
	}
	s.Keep = 1
	res, err := s.Prune(t.Context(), "g")
	if err != nil || !slices.Contains(res.Pruned, "v0003") {
		t.Fatalf("prune = %+v, %v; want the rolled-back v0003 removed", res, err)
	}
	got, err := s.Publish(t.Context(), "g", inputsFor(issue(t, "g.example.test")))
	if err != nil {
		t.Fatal(err)
	}
	if got.New.Name != "v0004" {
		t.Fatalf("the publish after pruning v0003 made %s, want v0004", got.New.Name)
	}
	vs, _ := listVersions(s.BundleDir("g"))
	if slices.Contains(vs, "v0003") {
		t.Fatalf("versions %v", vs)
	}
}
