package rotate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

func TestPublishWritesCompleteVersionAndSwapsCurrent(t *testing.T) {
	s := newTestStore(t)
	leaf := issue(t, "www.example.test", "example.test")
	res := mustPublish(t, s, "web", inputsFor(leaf))
	dir := s.BundleDir("web")

	if res.New.Name != "v0001" || res.Old != nil {
		t.Fatalf("result = %+v, want new v0001 and no old", res)
	}
	if got := currentTarget(t, dir); got != "v0001" {
		t.Fatalf("current -> %q, want v0001 (relative)", got)
	}
	wantModes := map[string]os.FileMode{
		CertFile: 0o644, ChainFile: 0o644, FullchainFile: 0o644, MetaFile: 0o644,
		KeyFile: 0o600, BundleFile: 0o600,
	}
	for name, want := range wantModes {
		st, err := os.Stat(filepath.Join(dir, "v0001", name))
		if err != nil {
			t.Fatal(err)
		}
		// Wider-than-wanted is the failure that matters; the umask may narrow.
		if st.Mode().Perm()&^want != 0 {
			t.Errorf("%s mode %v, want at most %v", name, st.Mode().Perm(), want)
		}
	}
	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	read := func(n string) []byte {
		b, err := v.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(read(CertFile), leaf.CertPEM()) || !bytes.Equal(read(ChainFile), leaf.ChainPEM()) ||
		!bytes.Equal(read(FullchainFile), leaf.FullchainPEM()) {
		t.Fatal("certificate files differ from the published chain")
	}
	bundle, err := model.ParsePEM(read(BundleFile))
	if err != nil || bundle.Key == nil || len(bundle.Certs) != 2 || !model.KeyMatchesCert(bundle.Key, bundle.Certs[0]) {
		t.Fatalf("bundle.pem is not key + fullchain: %v", err)
	}
	meta, err := ParseMeta(read(MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Serial != model.SerialHex(leaf.Cert.SerialNumber) || !meta.NotAfter.Equal(leaf.Cert.NotAfter) ||
		!slices.Equal(meta.SANs, []string{"www.example.test", "example.test"}) || meta.Source != "test" ||
		!meta.PublishedAt.Equal(testNow.UTC()) || len(meta.Files) != 5 {
		t.Fatalf("meta.json = %+v", meta)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("leftovers after publish: %v", l)
	}

	leaf2 := issue(t, "www.example.test", "example.test")
	res = mustPublish(t, s, "web", inputsFor(leaf2))
	if res.New.Name != "v0002" || res.Old == nil || res.Old.Name != "v0001" || res.Old.Serial != meta.Serial {
		t.Fatalf("second publish result = %+v", res)
	}
	if got := checkCurrentComplete(t, dir); got != model.SerialHex(leaf2.Cert.SerialNumber) {
		t.Fatalf("current serial %s, want the second leaf", got)
	}
}

func TestEveryRefusalLeavesCurrentUntouched(t *testing.T) {
	other := issue(t, "www.example.test")
	selfSigned := pki.Must(pki.SelfSigned(pki.Options{DNSNames: []string{"www.example.test"}, NotBefore: testNow.Add(-time.Hour)}))
	expired := issueOpts(t, pki.Options{DNSNames: []string{"www.example.test"},
		NotBefore: testNow.Add(-100 * 24 * time.Hour), NotAfter: testNow.Add(-24 * time.Hour)})
	future := issueOpts(t, pki.Options{DNSNames: []string{"www.example.test"}, NotBefore: testNow.Add(24 * time.Hour)})
	fewerNames := issue(t, "www.example.test")
	good := issue(t, "www.example.test", "api.example.test")
	reversed := append(append([]byte{}, good.ChainPEM()...), good.CertPEM()...)

	cases := []struct {
		name   string
		in     Inputs
		reason RefusalReason
	}{
		{"key of another certificate", Inputs{Fullchain: good.FullchainPEM(), Key: other.KeyPEM(), CA: fixtures.root.RootPEM()}, ReasonKeyMismatch},
		{"expired", inputsFor(expired), ReasonExpired},
		{"not yet valid", inputsFor(future), ReasonNotYetValid},
		{"chain in wrong order", Inputs{Fullchain: reversed, Key: good.KeyPEM(), CA: fixtures.root.RootPEM()}, ReasonChainBroken},
		{"intermediate missing", Inputs{Cert: good.CertPEM(), Key: good.KeyPEM(), CA: fixtures.root.RootPEM()}, ReasonChainBroken},
		{"untrusted root", Inputs{Fullchain: selfSigned.FullchainPEM(), Key: selfSigned.KeyPEM(), CA: fixtures.root.RootPEM()}, ReasonChainBroken},
		{"system roots do not know the test CA", Inputs{Fullchain: good.FullchainPEM(), Key: good.KeyPEM()}, ReasonChainBroken},
		{"names lost", inputsFor(fewerNames), ReasonNamesLost},
		{"no key", Inputs{Fullchain: good.FullchainPEM(), CA: fixtures.root.RootPEM()}, ReasonBadInput},
		{"garbage certificate", Inputs{Fullchain: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n"), Key: good.KeyPEM()}, ReasonBadInput},
		{"certificate as key", Inputs{Fullchain: good.FullchainPEM(), Key: good.CertPEM()}, ReasonBadInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t)
			base := issue(t, "www.example.test", "api.example.test")
			mustPublish(t, s, "web", inputsFor(base))
			dir := s.BundleDir("web")
			before := checkCurrentComplete(t, dir)

			_, err := s.Publish(t.Context(), "web", tc.in)
			var r *Refusal
			if !errors.As(err, &r) || r.Reason != tc.reason {
				t.Fatalf("Publish err = %v, want refusal %q", err, tc.reason)
			}
			noKeyBytes(t, err.Error(), good)
			if got := currentTarget(t, dir); got != "v0001" {
				t.Fatalf("current -> %s after refusal, want v0001", got)
			}
			if after := checkCurrentComplete(t, dir); after != before {
				t.Fatalf("current serial changed %s -> %s", before, after)
			}
			if vs, _ := listVersions(dir); len(vs) != 1 {
				t.Fatalf("refusal created versions: %v", vs)
			}
			if l := leftovers(t, dir); len(l) > 0 {
				t.Fatalf("refusal left %v", l)
			}
		})
	}
}

func TestAllowNameChangePublishesFewerNames(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "a.example.test", "b.example.test")))
	in := inputsFor(issue(t, "a.example.test"))
	in.AllowNameChange = true
	if res := mustPublish(t, s, "web", in); res.New.Name != "v0002" {
		t.Fatalf("new = %s", res.New.Name)
	}
}

func TestPublishAcceptsCertPlusChainAndSystemRootsViaStoreRoots(t *testing.T) {
	s := newTestStore(t)
	s.Roots = fixtures.root.Pool()
	leaf := issue(t, "split.example.test")
	res := mustPublish(t, s, "split", Inputs{Cert: leaf.CertPEM(), Chain: leaf.ChainPEM(), Key: leaf.KeyPEM()})
	if res.New.Serial != model.SerialHex(leaf.Cert.SerialNumber) {
		t.Fatalf("serial %s", res.New.Serial)
	}
}

func TestReadOnlyStoreRefusesEveryMutation(t *testing.T) {
	s := newTestStore(t)
	leaf := issue(t, "ro.example.test")
	mustPublish(t, s, "ro", inputsFor(leaf))
	mustPublish(t, s, "ro", inputsFor(issue(t, "ro.example.test")))
	ro := *s
	ro.ReadOnly = true
	if _, err := ro.Publish(t.Context(), "ro", inputsFor(leaf)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Publish err = %v", err)
	}
	if _, err := ro.Rollback(t.Context(), "ro", ""); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Rollback err = %v", err)
	}
	if _, err := ro.Prune(t.Context(), "ro"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Prune err = %v", err)
	}
	if got := currentTarget(t, s.BundleDir("ro")); got != "v0002" {
		t.Fatalf("current -> %s", got)
	}
	// Planning is not a mutation: the dialog needs it before the mode matters.
	if _, err := ro.Plan(t.Context(), "ro", inputsFor(issue(t, "ro.example.test"))); err != nil {
		t.Fatalf("Plan on read-only store: %v", err)
	}
}

func TestRollbackSwapsBackAndRefusesWhatCannotServe(t *testing.T) {
	s := newTestStore(t)
	dir := s.BundleDir("web")
	l1, l2 := issue(t, "web.example.test"), issue(t, "web.example.test")
	mustPublish(t, s, "web", inputsFor(l1))
	mustPublish(t, s, "web", inputsFor(l2))

	res, err := s.Rollback(t.Context(), "web", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Old.Name != "v0002" || res.New.Name != "v0001" || currentTarget(t, dir) != "v0001" {
		t.Fatalf("rollback result %+v, current %s", res, currentTarget(t, dir))
	}
	if got := checkCurrentComplete(t, dir); got != model.SerialHex(l1.Cert.SerialNumber) {
		t.Fatalf("current serial %s after rollback", got)
	}
	// Forward again by name.
	if _, err := s.Rollback(t.Context(), "web", "v0002"); err != nil || currentTarget(t, dir) != "v0002" {
		t.Fatalf("roll forward: %v, current %s", err, currentTarget(t, dir))
	}

	refusals := []struct {
		name, version string
		prepare       func(t *testing.T)
		reason        RefusalReason
	}{
		{"unknown version", "v0042", nil, ReasonNoVersion},
		{"not a version name", "../etc", nil, ReasonNoVersion},
		{"already current", "v0002", nil, ReasonNoVersion},
		{"damaged version", "v0001", func(t *testing.T) {
			os.Remove(filepath.Join(dir, "v0001", KeyFile))
		}, ReasonBadInput},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prepare != nil {
				tc.prepare(t)
			}
			_, err := s.Rollback(t.Context(), "web", tc.version)
			var r *Refusal
			if !errors.As(err, &r) || r.Reason != tc.reason {
				t.Fatalf("err = %v, want %q", err, tc.reason)
			}
			if currentTarget(t, dir) != "v0002" {
				t.Fatalf("current moved to %s", currentTarget(t, dir))
			}
		})
	}
}

func TestRollbackRefusesExpiredVersion(t *testing.T) {
	s := newTestStore(t)
	short := issueOpts(t, pki.Options{DNSNames: []string{"x.example.test"}, NotAfter: testNow.Add(time.Hour)})
	mustPublish(t, s, "x", inputsFor(short))
	mustPublish(t, s, "x", inputsFor(issue(t, "x.example.test")))
	s.Clock = func() time.Time { return testNow.Add(2 * time.Hour) }
	_, err := s.Rollback(t.Context(), "x", "")
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != ReasonExpired {
		t.Fatalf("err = %v, want expired", err)
	}
	if currentTarget(t, s.BundleDir("x")) != "v0002" {
		t.Fatal("current moved")
	}
}

func TestPruneKeepsRetentionCurrentAndRollbackTarget(t *testing.T) {
	s := newTestStore(t)
	s.Keep = 3
	dir := s.BundleDir("web")
	for range 6 {
		mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	}
	vs, _ := listVersions(dir)
	if !slices.Equal(vs, []string{"v0004", "v0005", "v0006"}) {
		t.Fatalf("versions after 6 publishes with keep 3: %v", vs)
	}
	// Roll back to the oldest kept, then publish: the new version is
	// newest, and the one before current (v0004) must survive even
	// though it falls outside the newest 3 (v0005 v0006 v0007).
	if _, err := s.Rollback(t.Context(), "web", "v0004"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(t.Context(), "web"); err != nil {
		t.Fatal(err)
	}
	vs, _ = listVersions(dir)
	if !slices.Contains(vs, "v0004") {
		t.Fatalf("prune removed current: %v", vs)
	}
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	vs, _ = listVersions(dir)
	// current v0008, before it v0007; newest 3: v0006 v0007 v0008.
	if !slices.Equal(vs, []string{"v0006", "v0007", "v0008"}) {
		t.Fatalf("versions = %v", vs)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("prune left %v", l)
	}
}

func TestNextWriterRemovesCrashLeftovers(t *testing.T) {
	s := newTestStore(t)
	dir := s.BundleDir("web")
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	// What a writer killed at each step leaves behind.
	os.Mkdir(filepath.Join(dir, stagingPrefix+"dead"), 0o755)
	os.WriteFile(filepath.Join(dir, stagingPrefix+"dead", KeyFile), []byte("x"), 0o600)
	os.Symlink("v0001", filepath.Join(dir, tempLinkPrefix+"dead"))
	os.Mkdir(filepath.Join(dir, prunePrefix+"v0000-dead"), 0o755)

	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("leftovers survived the next publish: %v", l)
	}
}

func TestPlanShowsSerialExpiryAndNameDiffWithoutWriting(t *testing.T) {
	s := newTestStore(t)
	old := issue(t, "a.example.test", "b.example.test")
	mustPublish(t, s, "web", inputsFor(old))
	next := issue(t, "a.example.test", "c.example.test")

	p, err := s.Plan(t.Context(), "web", inputsFor(next))
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != ReasonNamesLost || p == nil || p.Refusal == nil {
		t.Fatalf("Plan err = %v, plan = %+v; want names-lost refusal with a plan", err, p)
	}
	if p.Old.Serial != model.SerialHex(old.Cert.SerialNumber) || p.New.Serial != model.SerialHex(next.Cert.SerialNumber) ||
		!p.New.NotAfter.Equal(next.Cert.NotAfter) || p.New.Name != "v0002" {
		t.Fatalf("plan = %+v", p)
	}
	if !slices.Equal(p.AddedNames, []string{"c.example.test"}) || !slices.Equal(p.RemovedNames, []string{"b.example.test"}) {
		t.Fatalf("added %v removed %v", p.AddedNames, p.RemovedNames)
	}
	in := inputsFor(next)
	in.AllowNameChange = true
	if p, err := s.Plan(t.Context(), "web", in); err != nil || p.Refusal != nil {
		t.Fatalf("allowed plan: %v", err)
	}
	if vs, _ := listVersions(s.BundleDir("web")); len(vs) != 1 {
		t.Fatalf("Plan wrote versions: %v", vs)
	}

	rp, err := s.PlanRollback(t.Context(), "web", "")
	if err == nil || rp.Refusal == nil || rp.Refusal.Reason != ReasonNoVersion {
		t.Fatalf("PlanRollback with one version: %v", err)
	}
}

func TestAuditLogGetsOneJSONLinePerAttempt(t *testing.T) {
	s := newTestStore(t)
	l1 := issue(t, "web.example.test")
	mustPublish(t, s, "web", inputsFor(l1))
	l2 := issue(t, "web.example.test")
	mustPublish(t, s, "web", inputsFor(l2))
	s.Publish(t.Context(), "web", Inputs{Fullchain: l1.FullchainPEM(), Key: l2.KeyPEM()})
	if _, err := s.Rollback(t.Context(), "web", ""); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(s.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, _ := f.Stat(); st.Mode().Perm()&^0o600 != 0 {
		t.Errorf("audit log mode %v", st.Mode().Perm())
	}
	var got []AuditEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		noKeyBytes(t, sc.Text(), l2)
		var e AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		got = append(got, e)
	}
	s1, s2 := model.SerialHex(l1.Cert.SerialNumber), model.SerialHex(l2.Cert.SerialNumber)
	want := []struct{ action, old, new, result string }{
		{"publish", "", s1, "ok"},
		{"publish", s1, s2, "ok"},
		{"publish", s2, "", "refused: key mismatch"},
		{"rollback", s2, s1, "ok"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d audit lines, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Action != w.action || g.OldSerial != w.old || g.NewSerial != w.new || !strings.HasPrefix(g.Result, w.result) ||
			g.Bundle != "web" || !strings.Contains(g.User, "@") || !g.Time.Equal(testNow.UTC()) {
			t.Errorf("line %d = %+v, want %+v", i+1, g, w)
		}
	}
}

func TestAlsoWriteReplacesSingleFileOutputs(t *testing.T) {
	s := newTestStore(t)
	dir := filepath.Join(t.TempDir(), "postfix")
	os.MkdirAll(dir, 0o755)
	fresh, worldReadable := filepath.Join(dir, "new.pem"), filepath.Join(dir, "web.pem")
	os.WriteFile(worldReadable, []byte("old"), 0o644)
	leaf := issue(t, "mail.example.test")
	in := inputsFor(leaf)
	in.AlsoWrite = []string{fresh, worldReadable}
	res := mustPublish(t, s, "mail", in)
	if !slices.Equal(res.AlsoWritten, in.AlsoWrite) || len(res.AlsoFailed) != 0 {
		t.Fatalf("also written %v, failed %v", res.AlsoWritten, res.AlsoFailed)
	}
	for _, out := range in.AlsoWrite {
		b, _ := os.ReadFile(out)
		p, err := model.ParsePEM(b)
		if err != nil || p.Key == nil || !model.KeyMatchesCert(p.Key, p.Leaf()) || len(p.Certs) != 2 {
			t.Fatalf("%s is not key + fullchain: %v", out, err)
		}
	}
	// A new output is 0600; an existing one keeps its bits but never
	// others' (it now holds a private key), and the result says so.
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o600 {
		t.Errorf("new output mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(worldReadable); st.Mode().Perm() != 0o640 {
		t.Errorf("0644 output became %v, want 0640", st.Mode().Perm())
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "was mode 0644") {
		t.Errorf("warnings %q, want one saying the 0644 output was narrowed", res.Warnings)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("temp files left beside the outputs: %v", entries)
	}
}

func TestBadBundleNamesAreRefused(t *testing.T) {
	s := newTestStore(t)
	for _, name := range []string{"", ".", "..", "../x", "a/b", ".hidden", "-flag"} {
		if _, err := s.Publish(t.Context(), name, inputsFor(issue(t, "x.example.test"))); err == nil {
			t.Errorf("Publish(%q) accepted", name)
		}
	}
}
