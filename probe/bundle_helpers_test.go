package probe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

// diskWorld is a CA, an intermediate and leaves to lay out on disk.
type diskWorld struct {
	ca     *pki.CA
	mid    *pki.CA
	dir    string
	caFile string
}

func newDiskWorld(t *testing.T) *diskWorld {
	t.Helper()
	ca := pki.Must(pki.NewCA("Disk Root"))
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return &diskWorld{ca: ca, mid: pki.Must(ca.Intermediate("Disk Mid")), dir: dir, caFile: caFile}
}

func (w *diskWorld) leaf(t *testing.T) *pki.Leaf {
	t.Helper()
	return pki.Must(w.mid.Issue(pki.Options{DNSNames: []string{"web.test"}}))
}

func certbotPEM(l *pki.Leaf) CertbotPEM {
	return CertbotPEM{Cert: l.CertPEM(), Chain: l.ChainPEM(), Fullchain: l.FullchainPEM(), Key: l.KeyPEM()}
}

// lineage builds a certbot lineage with generations 1..len(leaves), live
// links on generation 1.
func (w *diskWorld) lineage(t *testing.T, leaves ...*pki.Leaf) CertbotLineage {
	t.Helper()
	l := CertbotLineage{Root: filepath.Join(w.dir, "letsencrypt"), Name: "web"}
	for i, lf := range leaves {
		if err := l.WriteGeneration(i+1, certbotPEM(lf)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Point(1); err != nil {
		t.Fatal(err)
	}
	return l
}

func (w *diskWorld) bundle(path, layout string) model.Bundle {
	return model.Bundle{Name: "web", Path: path, Layout: layout, CAFile: w.caFile,
		Thresholds: model.Thresholds{Warn: model.DefaultWarn, Crit: model.DefaultCrit}}
}

// writeStoreVersion lays out <dir>/vNNNN by hand, as rotate publishes it.
func writeStoreVersion(t testing.TB, dir string, n int, l *pki.Leaf) string {
	t.Helper()
	name := fmt.Sprintf("v%04d", n)
	vdir := filepath.Join(dir, name)
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"cert.pem", l.CertPEM(), 0o644}, {"chain.pem", l.ChainPEM(), 0o644},
		{"fullchain.pem", l.FullchainPEM(), 0o644}, {"privkey.pem", l.KeyPEM(), 0o600},
		{"bundle.pem", append(l.KeyPEM(), l.FullchainPEM()...), 0o600},
	} {
		if err := writeNew(filepath.Join(vdir, f.name), f.data, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

// swapCurrent points <dir>/current at version by rename(2), as rotate does.
func swapCurrent(t testing.TB, dir, version string) {
	t.Helper()
	tmp := filepath.Join(dir, ".current-tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(version, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "current")); err != nil {
		t.Fatal(err)
	}
}

func reasons(s *model.BundleSnapshot) string {
	var out []string
	for _, f := range s.Facts().Findings {
		out = append(out, f.Status.String()+" "+f.Reason)
	}
	return strings.Join(out, "\n")
}

// verdictOf classifies one snapshot the way State does.
func verdictOf(t *testing.T, b model.Bundle, snap *model.BundleSnapshot) model.Verdict {
	t.Helper()
	f := &model.Fleet{Bundles: []model.Bundle{b}}
	s := model.NewState(f)
	s.Apply(snap.Time, []model.Event{snap})
	return s.Bundle(b.Name).Verdict
}

// waitSnapshot reads events until one satisfies ok, or fails after 10 s.
func waitSnapshot(t testing.TB, events <-chan model.Event, ok func(*model.BundleSnapshot) bool) *model.BundleSnapshot {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if s, is := ev.(*model.BundleSnapshot); is && ok(s) {
				return s
			}
		case <-deadline:
			t.Fatal("no matching bundle snapshot within 10s")
			return nil
		}
	}
}
