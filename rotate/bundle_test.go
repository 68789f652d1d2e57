package rotate

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"certdeck/model"
)

func TestConsolePublishAndRollbackFromConfiguredBundle(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "state"))
	first, next := issue(t, "shop.example.test"), issue(t, "shop.example.test")
	src := filepath.Join(base, "incoming")
	os.Mkdir(src, 0o755)
	os.WriteFile(filepath.Join(src, FullchainFile), next.FullchainPEM(), 0o644)
	os.WriteFile(filepath.Join(src, KeyFile), next.KeyPEM(), 0o600)
	caFile := filepath.Join(base, "ca.pem")
	os.WriteFile(caFile, fixtures.root.RootPEM(), 0o644)
	b := model.Bundle{Name: "shop", Path: filepath.Join(base, "store", "shop"), Layout: "store", Source: src, CAFile: caFile}

	s, name, err := BundleStore(b, false, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustPublish(t, s, name, inputsFor(first))
	in, err := SourceInputs(b)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.Plan(t.Context(), name, in)
	if err != nil || plan.Old.Serial != model.SerialHex(first.Cert.SerialNumber) || plan.New.Serial != model.SerialHex(next.Cert.SerialNumber) {
		t.Fatalf("plan = %+v, %v", plan, err)
	}
	if _, err := s.Publish(t.Context(), name, in); err != nil {
		t.Fatal(err)
	}
	rp, err := s.PlanRollback(t.Context(), name, "")
	if err != nil || rp.New.Name != "v0001" || rp.Old.Name != "v0002" {
		t.Fatalf("rollback plan = %+v, %v", rp, err)
	}

	ro, _, _ := BundleStore(b, true, StoreOptions{})
	if _, err := ro.Rollback(t.Context(), name, ""); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only rollback: %v", err)
	}
	if _, err := SourceInputs(model.Bundle{Name: "x"}); err == nil {
		t.Fatal("bundle without source: accepted")
	}
	if reason, ok := IsRefusal(func() error { _, err := s.Rollback(t.Context(), name, "v0009"); return err }()); !ok || reason != ReasonNoVersion {
		t.Fatalf("IsRefusal = %q, %v", reason, ok)
	}
}

func TestPruneGraceKeepsJustReplacedVersions(t *testing.T) {
	s := newTestStore(t)
	s.Keep = 1
	s.PruneGrace = time.Hour
	for range 3 {
		mustPublish(t, s, "g", inputsFor(issue(t, "g.example.test")))
	}
	if vs, _ := listVersions(s.BundleDir("g")); len(vs) != 3 {
		t.Fatalf("versions within the grace were pruned: %v", vs)
	}
	s.PruneGrace = -1
	if res, err := s.Prune(t.Context(), "g"); err != nil || !slices.Equal(res.Pruned, []string{"v0001"}) {
		t.Fatalf("prune without grace = %+v, %v (keep 1, but current and the one before stay)", res, err)
	}
}
