package probe

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"certdeck/model"
)

// runWatcher starts a watcher over bundles and stops it (checking that Run
// returns) when the test ends.
func runWatcher(t *testing.T, bundles []model.Bundle, opt WatchOptions) (<-chan model.Event, *Watcher) {
	t.Helper()
	events := make(chan model.Event, 64)
	w, err := NewWatcher(bundles, events, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Watcher.Run did not return after cancel")
		}
	})
	return events, w
}

func version(v string) func(*model.BundleSnapshot) bool {
	return func(s *model.BundleSnapshot) bool { return s.Facts().Version == v }
}

func TestStoreSwapUnderRunningWatcherChangesState(t *testing.T) {
	w := newDiskWorld(t)
	dir := filepath.Join(w.dir, "store", "web")
	leaf1, leaf2 := w.leaf(t), w.leaf(t)
	swapCurrent(t, dir, writeStoreVersion(t, dir, 1, leaf1))
	b := w.bundle(dir, "auto")
	b.Serves = []string{"web-1"}
	fleet := &model.Fleet{Endpoints: []model.Endpoint{{Name: "web-1"}}, Bundles: []model.Bundle{b}}
	state := model.NewState(fleet)
	events, _ := runWatcher(t, fleet.Bundles, WatchOptions{})

	first := waitSnapshot(t, events, version("v0001"))
	state.Apply(time.Now(), []model.Event{first})
	served := &model.Observation{Endpoint: "web-1", Time: time.Now(), Verified: true, HostnameOK: true,
		Chain: []model.CertInfo{model.DescribeCert(leaf1.Cert)}}
	state.Apply(time.Now(), []model.Event{served})
	bs := state.Bundle("web")
	if bs.Verdict.Status != model.OK || bs.DriftSummary() != "1/1 in sync" {
		t.Fatalf("before swap: %s %q %s", bs.Verdict.Status, bs.Verdict.Reasons, bs.DriftSummary())
	}

	swapCurrent(t, dir, writeStoreVersion(t, dir, 2, leaf2))
	second := waitSnapshot(t, events, version("v0002"))
	changes := state.Apply(time.Now(), []model.Event{second})
	if bs.Serial() != model.SerialHex(leaf2.Cert.SerialNumber) {
		t.Fatal("state still holds the old serial after the swap")
	}
	if r := bs.Verdict.Reasons; bs.Verdict.Status != model.Warn ||
		!strings.HasPrefix(r[0], "web-1 serves ") || !strings.Contains(r[0], "(serial "+model.SerialHex(leaf1.Cert.SerialNumber)) ||
		!strings.Contains(r[0], "the bundle holds (serial "+model.SerialHex(leaf2.Cert.SerialNumber)) || !strings.HasSuffix(r[0], "reload needed") {
		t.Fatalf("after swap: %s %q", bs.Verdict.Status, bs.Verdict.Reasons)
	}
	var kinds []model.ChangeKind
	for _, c := range changes {
		kinds = append(kinds, c.Kind)
	}
	if !slices.Contains(kinds, model.ChangeBundle) {
		t.Fatalf("no bundle change logged: %+v", changes)
	}
}

func TestWatcherFollowsRepointedCertbotLinks(t *testing.T) {
	w := newDiskWorld(t)
	l := w.lineage(t, w.leaf(t))
	events, _ := runWatcher(t, []model.Bundle{w.bundle(l.LiveDir(), "auto")}, WatchOptions{})
	waitSnapshot(t, events, version("1"))
	// A new generation appears in the archive, then every link moves.
	if err := l.WriteGeneration(2, certbotPEM(w.leaf(t))); err != nil {
		t.Fatal(err)
	}
	if err := l.Point(2); err != nil {
		t.Fatal(err)
	}
	snap := waitSnapshot(t, events, version("2"))
	if r := reasons(snap); r != "" {
		t.Fatalf("renewed lineage has findings:\n%s", r)
	}
}

func TestWatcherSeesArchiveFileRewrittenInPlace(t *testing.T) {
	w := newDiskWorld(t)
	lf := w.leaf(t)
	l := w.lineage(t, lf)
	events, _ := runWatcher(t, []model.Bundle{w.bundle(l.LiveDir(), "auto")}, WatchOptions{})
	waitSnapshot(t, events, version("1"))
	// The link does not move; its target's content does (only the archive
	// directory sees this event).
	key := filepath.Join(l.ArchiveDir(), "privkey1.pem")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	snap := waitSnapshot(t, events, func(s *model.BundleSnapshot) bool {
		return strings.Contains(reasons(s), "privkey.pem is mode 0644: readable by group/others")
	})
	if snap.Files[3].Mode.Perm() != 0o644 {
		t.Fatalf("mode %o", snap.Files[3].Mode.Perm())
	}
}

func TestMissingPathRecoversWhenItAppears(t *testing.T) {
	w := newDiskWorld(t)
	l := CertbotLineage{Root: filepath.Join(w.dir, "later", "letsencrypt"), Name: "web"}
	events, _ := runWatcher(t, []model.Bundle{w.bundle(l.LiveDir(), "auto")}, WatchOptions{})
	missing := waitSnapshot(t, events, func(s *model.BundleSnapshot) bool { return s.Err != "" })
	if !strings.Contains(missing.Err, "does not exist (yet)") {
		t.Fatalf("err %q", missing.Err)
	}
	if err := l.WriteGeneration(1, certbotPEM(w.leaf(t))); err != nil {
		t.Fatal(err)
	}
	if err := l.Point(1); err != nil {
		t.Fatal(err)
	}
	snap := waitSnapshot(t, events, func(s *model.BundleSnapshot) bool { return s.Err == "" && reasons(s) == "" })
	if snap.Facts().Version != "1" {
		t.Fatalf("recovered snapshot version %q", snap.Facts().Version)
	}
}

func TestSlowPerFileWriterIsReportedAsNonAtomic(t *testing.T) {
	w := newDiskWorld(t)
	l := w.lineage(t, w.leaf(t), w.leaf(t))
	events, _ := runWatcher(t, []model.Bundle{w.bundle(l.LiveDir(), "auto")}, WatchOptions{Debounce: 20 * time.Millisecond})
	waitSnapshot(t, events, version("1"))
	if err := l.Point(2, "cert", "chain", "fullchain"); err != nil {
		t.Fatal(err)
	}
	mid := waitSnapshot(t, events, func(s *model.BundleSnapshot) bool { return strings.Contains(reasons(s), "mixed vintage") })
	if mid.NonAtomic != "" {
		t.Fatal("the first half alone is not yet a non-atomic write")
	}
	if err := l.Point(2, "privkey"); err != nil {
		t.Fatal(err)
	}
	done := waitSnapshot(t, events, version("2"))
	if !strings.Contains(done.NonAtomic, "non-atomic write: the key changed") {
		t.Fatalf("note %q", done.NonAtomic)
	}
	s := model.NewState(&model.Fleet{Bundles: []model.Bundle{w.bundle(l.LiveDir(), "auto")}})
	changes := s.Apply(time.Now(), []model.Event{done})
	if len(changes) == 0 || changes[0].Kind != model.ChangeNonAtomic {
		t.Fatalf("changes %+v", changes)
	}
}

func TestWatcherKeepsRunningWhenDirectoryIsReplacedByFile(t *testing.T) {
	w := newDiskWorld(t)
	dir := filepath.Join(w.dir, "store", "web")
	lf := w.leaf(t)
	swapCurrent(t, dir, writeStoreVersion(t, dir, 1, lf))
	events, _ := runWatcher(t, []model.Bundle{w.bundle(dir, "store")}, WatchOptions{})
	waitSnapshot(t, events, version("v0001"))

	moved := dir + ".old"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, events, func(s *model.BundleSnapshot) bool {
		return strings.Contains(s.Err, "is a file; layout store needs a directory")
	})
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(moved, dir); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, events, func(s *model.BundleSnapshot) bool { return s.Err == "" && s.Version == "v0001" })
	// And it still follows swaps after the directory came back.
	swapCurrent(t, dir, writeStoreVersion(t, dir, 2, w.leaf(t)))
	waitSnapshot(t, events, version("v0002"))
}

func TestRescanRereadsOnRequestAndSendsOnlyChanges(t *testing.T) {
	w := newDiskWorld(t)
	l := w.lineage(t, w.leaf(t))
	events, wt := runWatcher(t, []model.Bundle{w.bundle(l.LiveDir(), "auto")}, WatchOptions{})
	waitSnapshot(t, events, version("1"))
	wt.Rescan()
	select {
	case ev := <-events:
		t.Fatalf("an unchanged bundle was sent again: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestWatcherRunLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	w := newDiskWorld(t)
	l := w.lineage(t, w.leaf(t))
	events := make(chan model.Event) // unbuffered, never drained: Run must still stop
	wt, err := NewWatcher([]model.Bundle{w.bundle(l.LiveDir(), "auto")}, events, WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { wt.Run(ctx); close(done) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run blocked on a full events channel after cancel")
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left behind", n-before)
	}
}

func TestWatcherSurvivesALinkLoopAndRecovers(t *testing.T) {
	w := newDiskWorld(t)
	l := w.lineage(t, w.leaf(t))
	events, _ := runWatcher(t, []model.Bundle{w.bundle(l.LiveDir(), "auto")}, WatchOptions{})
	waitSnapshot(t, events, version("1"))
	cert := filepath.Join(l.LiveDir(), "cert.pem")
	tmp := cert + ".loop"
	if err := os.Symlink("cert.pem", tmp); err != nil { // cert.pem -> cert.pem once renamed
		t.Fatal(err)
	}
	if err := os.Rename(tmp, cert); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, events, func(s *model.BundleSnapshot) bool { return strings.Contains(reasons(s), "cert.pem: symlink loop") })
	if err := l.Point(1); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, events, func(s *model.BundleSnapshot) bool { return reasons(s) == "" })
}

// TestPeriodicRescanCatchesWhatInotifyMissed drops every inotify watch
// behind the watcher's back (as a full kernel queue or a network file
// system would lose events) and checks the slow rescan still delivers.
func TestPeriodicRescanCatchesWhatInotifyMissed(t *testing.T) {
	w := newDiskWorld(t)
	dir := filepath.Join(w.dir, "store", "web")
	swapCurrent(t, dir, writeStoreVersion(t, dir, 1, w.leaf(t)))
	events, wt := runWatcher(t, []model.Bundle{w.bundle(dir, "store")}, WatchOptions{Rescan: 300 * time.Millisecond})
	waitSnapshot(t, events, version("v0001"))
	time.Sleep(200 * time.Millisecond) // let the re-read after adding watches pass
	for _, p := range wt.fsw.WatchList() {
		if err := wt.fsw.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	swapCurrent(t, dir, writeStoreVersion(t, dir, 2, w.leaf(t)))
	waitSnapshot(t, events, version("v0002"))
}
