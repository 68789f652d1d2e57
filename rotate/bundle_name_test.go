package rotate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/model"
)

// badBundleNames are names that must never become a directory of the
// store: each would escape it, nest in it, be the store itself, or carry
// bytes no file name should.
var badBundleNames = []string{"", ".", "..", "../x", "../esc", "a/b", "./a", "a/", "/abs", ".hidden", "-flag", "a\x00b", "a\nb", "web\n"}

// TestEngineStoreActionsRefuseBundleNamesThatAreNotOneName: `certdeck
// rotate ../esc --store s` published into s/../esc, `a/b` into s/a, and
// `.` made s itself the bundle, because only the last element of the
// joined, cleaned path was checked. Publish, rollback and prune refuse
// them, and nothing is created inside or outside the store.
func TestEngineStoreActionsRefuseBundleNamesThatAreNotOneName(t *testing.T) {
	base := t.TempDir()
	store := filepath.Join(base, "s4")
	os.Mkdir(store, 0o755)
	e := NewEngine(EngineOptions{Store: StoreOptions{AuditLog: "-", Roots: fixtures.root.Pool()}, Clock: fixedClock})
	leaf := issue(t, "web.example.test")
	for _, name := range badBundleNames {
		t.Run(strings.ReplaceAll(name, "/", "slash"), func(t *testing.T) {
			if a, err := e.Publish(PublishRequest{Bundle: name, Store: store, Inputs: func() (Inputs, error) { return inputsFor(leaf), nil }}); err == nil {
				_, runErr := a.Run(t.Context(), nil)
				t.Errorf("publish %q accepted (run: %v)", name, runErr)
			} else if !strings.Contains(err.Error(), "bundle name") {
				t.Errorf("publish %q: %v, want the name refused", name, err)
			}
			if _, err := e.Rollback(RollbackRequest{Bundle: name, Store: store}); err == nil || !strings.Contains(err.Error(), "bundle name") {
				t.Errorf("rollback %q: %v, want the name refused", name, err)
			}
			if _, err := e.Prune(PruneRequest{Bundle: name, Store: store}); err == nil || !strings.Contains(err.Error(), "bundle name") {
				t.Errorf("prune %q: %v, want the name refused", name, err)
			}
		})
	}
	if entries, _ := os.ReadDir(store); len(entries) != 0 {
		t.Errorf("the store holds %v", entries)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 1 {
		t.Errorf("beside the store: %v", entries)
	}
}

// TestBundleStoreRefusesAPathWhoseLastElementIsNotAName: a configured
// `layout: store` path ending in "." or ".." named the store itself (or
// its parent) as the bundle once cleaned.
func TestBundleStoreRefusesAPathWhoseLastElementIsNotAName(t *testing.T) {
	for _, p := range []string{"/srv/store/.", "/srv/store/..", "/srv/store/web/..", "/", "", "/srv/store/.hidden"} {
		if _, _, err := BundleStore(model.Bundle{Name: "web", Path: p}, true, StoreOptions{}); err == nil {
			t.Errorf("BundleStore(%q) accepted", p)
		}
	}
	for p, want := range map[string][2]string{
		"/srv/store/web":   {"/srv/store", "web"},
		"/srv/store/web/":  {"/srv/store", "web"},
		"/srv/./store/web": {"/srv/store", "web"},
		"store/web":        {"store", "web"},
		"web":              {".", "web"},
		"/web":             {"/", "web"},
	} {
		s, name, err := BundleStore(model.Bundle{Name: "web", Path: p}, true, StoreOptions{})
		if err != nil || s.Dir != want[0] || name != want[1] {
			t.Errorf("BundleStore(%q) = %v, %q, %v; want %q, %q", p, s, name, err, want[0], want[1])
		}
	}
}

// TestStoreCallsRefuseBadBundleNames: every Store entry point that takes a
// name (publish, plans, rollback, prune, ls) applies the same rule.
func TestStoreCallsRefuseBadBundleNames(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	for _, name := range badBundleNames {
		errs := map[string]error{}
		_, errs["publish"] = s.Publish(t.Context(), name, inputsFor(issue(t, "web.example.test")))
		_, errs["plan"] = s.Plan(t.Context(), name, inputsFor(issue(t, "web.example.test")))
		_, errs["rollback"] = s.Rollback(t.Context(), name, "")
		_, errs["plan rollback"] = s.PlanRollback(t.Context(), name, "")
		_, errs["prune"] = s.Prune(t.Context(), name)
		_, errs["plan prune"] = s.PlanPrune(t.Context(), name)
		_, errs["ls"] = s.Versions(name)
		for op, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "bundle name") {
				t.Errorf("%s %q: %v, want the name refused", op, name, err)
			}
		}
	}
}
