package rotate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
)

// testPKI is a root and an intermediate minted once per test binary:
// leaves are cheap, authorities are shared.
type testPKI struct {
	root, inter *pki.CA
}

var fixtures = func() *testPKI {
	root := pki.Must(pki.NewCA("certdeck test root"))
	return &testPKI{root: root, inter: pki.Must(root.Intermediate("certdeck test intermediate"))}
}()

// testNow is the fake clock all store tests run at.
var testNow = time.Now().Truncate(time.Second)

func fixedClock() time.Time { return testNow }

// issue mints a leaf under the shared intermediate.
func issue(t testing.TB, names ...string) *pki.Leaf {
	t.Helper()
	return issueOpts(t, pki.Options{DNSNames: names})
}

func issueOpts(t testing.TB, o pki.Options) *pki.Leaf {
	t.Helper()
	if o.NotBefore.IsZero() {
		o.NotBefore = testNow.Add(-time.Hour)
	}
	leaf, err := fixtures.inter.Issue(o)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// inputsFor is what an operator would pass for leaf: fullchain, key, and
// the test root as CA.
func inputsFor(leaf *pki.Leaf) Inputs {
	return Inputs{Fullchain: leaf.FullchainPEM(), Key: leaf.KeyPEM(), CA: fixtures.root.RootPEM(), Source: "test"}
}

// newTestStore is a store in a temp dir with a fake clock and a private
// audit log.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	dir := t.TempDir()
	// Under a test's umask 0 the temp dir is 0777, a directory above the
	// store that the StrictModes walk rightly refuses.
	os.Chmod(dir, 0o755)
	return &Store{
		Dir:   filepath.Join(dir, "store"),
		Clock: fixedClock,
		// Retention tests need prune to act at once; the torture test
		// sets a real grace.
		PruneGrace: -1,
		AuditLog:   filepath.Join(dir, "state", "audit.log"),
	}
}

func mustPublish(t testing.TB, s *Store, name string, in Inputs) *Result {
	t.Helper()
	res, err := s.Publish(context.Background(), name, in)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return res
}

// currentTarget is what `current` points at ("" if missing).
func currentTarget(t testing.TB, bundleDir string) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join(bundleDir, CurrentLink))
	if err != nil {
		return ""
	}
	return target
}

// leftovers lists entries a finished writer must not leave behind.
func leftovers(t testing.TB, bundleDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if n == CurrentLink || n == lockFile || IsVersionName(n) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// checkCurrentComplete asserts current resolves to a version that loads
// completely (all files, digests, key matching certificate) and returns
// its serial.
func checkCurrentComplete(t testing.TB, bundleDir string) string {
	t.Helper()
	v, err := Open(bundleDir)
	if err != nil {
		t.Fatalf("current does not resolve: %v", err)
	}
	defer v.Close()
	lv, err := loadVersion(v)
	if err != nil {
		t.Fatalf("current (%s) is not a complete version: %v", v.Name, err)
	}
	return lv.meta.Serial
}

// noKeyBytes fails if s contains anything that looks like key material.
func noKeyBytes(t testing.TB, s string, leaf *pki.Leaf) {
	t.Helper()
	key := string(leaf.KeyPEM())
	body := strings.Split(key, "\n")[1]
	if strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, body[:20]) {
		t.Fatal("output contains private key material")
	}
}
