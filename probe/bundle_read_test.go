package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

func TestReadCertbotLineageRecordsLinksModesAndGeneration(t *testing.T) {
	w := newDiskWorld(t)
	l := w.lineage(t, w.leaf(t))
	snap := ReadBundle(w.bundle(l.LiveDir(), "auto"), time.Now())
	if snap.Layout != "certbot" || snap.Facts().Version != "1" {
		t.Fatalf("layout %q version %q", snap.Layout, snap.Facts().Version)
	}
	if v := verdictOf(t, w.bundle(l.LiveDir(), "auto"), snap); v.Status != model.OK {
		t.Fatalf("healthy lineage: %s %q", v.Status, v.Reasons)
	}
	key := snap.Files[3]
	if key.Name != "privkey.pem" || key.Target != "../../archive/web/privkey1.pem" || key.Mode.Perm() != 0o600 || key.Data != nil {
		// Never %v the entry: if sealing failed, Data holds key bytes.
		t.Fatalf("privkey entry: name %q target %q mode %04o, still holds %d bytes after sealing",
			key.Name, key.Target, key.Mode.Perm(), len(key.Data))
	}
}

func TestCertbotMidRenewalIsMixedVintage(t *testing.T) {
	w := newDiskWorld(t)
	l := w.lineage(t, w.leaf(t), w.leaf(t))
	// certbot re-points cert.pem first; privkey.pem still names generation 1.
	if err := l.Point(2, "cert", "chain", "fullchain"); err != nil {
		t.Fatal(err)
	}
	b := w.bundle(l.LiveDir(), "certbot")
	snap := ReadBundle(b, time.Now())
	v := verdictOf(t, b, snap)
	all := strings.Join(v.Reasons, "\n")
	if v.Status != model.Crit || !strings.Contains(all, "mixed vintage: links point at different archive generations") ||
		!strings.Contains(all, "mixed vintage: the key in privkey.pem does not match") {
		t.Fatalf("%s %q", v.Status, v.Reasons)
	}
	if err := l.Point(2, "privkey"); err != nil {
		t.Fatal(err)
	}
	if v := verdictOf(t, b, ReadBundle(b, time.Now())); v.Status != model.OK {
		t.Fatalf("completed renewal: %s %q", v.Status, v.Reasons)
	}
}

func TestReadStoreReadsOneVersionThroughCurrent(t *testing.T) {
	w := newDiskWorld(t)
	dir := filepath.Join(w.dir, "store", "web")
	v1 := writeStoreVersion(t, dir, 1, w.leaf(t))
	swapCurrent(t, dir, v1)
	b := w.bundle(dir, "auto")
	snap := ReadBundle(b, time.Now())
	if snap.Layout != "store" || snap.Version != "v0001" || snap.Files[0].Name != "current" || snap.Files[0].Target != "v0001" {
		t.Fatalf("snapshot %+v", snap)
	}
	if v := verdictOf(t, b, snap); v.Status != model.OK {
		t.Fatalf("%s %q", v.Status, v.Reasons)
	}
	if len(snap.Files) != 6 {
		t.Fatalf("want current + 5 files, got %d", len(snap.Files))
	}
}

func TestReadPairAndSingleFile(t *testing.T) {
	w := newDiskWorld(t)
	lf := w.leaf(t)
	dir := filepath.Join(w.dir, "pair")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeNew(filepath.Join(dir, "server.crt"), lf.FullchainPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeNew(filepath.Join(dir, "server.key"), lf.KeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	pair := w.bundle(dir, "auto")
	pair.CertFile, pair.KeyFile = "server.crt", "server.key"
	snap := ReadBundle(pair, time.Now())
	if v := verdictOf(t, pair, snap); snap.Layout != "pair" || v.Status != model.OK {
		t.Fatalf("pair: %s %s %q", snap.Layout, v.Status, v.Reasons)
	}
	single := filepath.Join(dir, "haproxy.pem")
	if err := writeNew(single, append(lf.FullchainPEM(), lf.KeyPEM()...), 0o640); err != nil {
		t.Fatal(err)
	}
	b := w.bundle(single, "auto")
	snap = ReadBundle(b, time.Now())
	v := verdictOf(t, b, snap)
	if snap.Layout != "single-file" || v.Status != model.Crit || v.Reasons[0] != "haproxy.pem is mode 0640: readable by group/others" {
		t.Fatalf("single: %s %s %q", snap.Layout, v.Status, v.Reasons)
	}
}

// TestHostileDiskGivesClearReasons covers what issue 4 lists as bad input:
// each case is an ERROR (or CRIT) with a reason naming the problem, and
// reading never panics or hangs.
func TestHostileDiskGivesClearReasons(t *testing.T) {
	w := newDiskWorld(t)
	lf := w.leaf(t)
	tests := []struct {
		name   string
		layout string
		build  func(t *testing.T, dir string) string // returns the bundle path
		want   model.Status
		reason string
	}{
		{"garbage", "auto", func(t *testing.T, dir string) string {
			return writeAt(t, dir, "x.pem", []byte("\x00\x01 not pem at all"))
		}, model.Error, "x.pem: no PEM data found"},
		{"empty", "auto", func(t *testing.T, dir string) string {
			return writeAt(t, dir, "x.pem", nil)
		}, model.Error, "x.pem: empty file"},
		{"truncated", "auto", func(t *testing.T, dir string) string {
			full := append(lf.KeyPEM(), lf.FullchainPEM()...)
			return writeAt(t, dir, "x.pem", full[:len(full)-100])
		}, model.Error, "x.pem: truncated or malformed PEM block"},
		{"10 MiB file", "auto", func(t *testing.T, dir string) string {
			return writeAt(t, dir, "x.pem", bytes.Repeat([]byte("A"), 10<<20))
		}, model.Error, "x.pem: 10 MiB, larger than the 1 MiB limit"},
		{"symlink loop", "auto", func(t *testing.T, dir string) string {
			l := CertbotLineage{Root: dir, Name: "web"}
			mustNoErr(t, l.WriteGeneration(1, certbotPEM(lf)))
			mustNoErr(t, l.Point(1))
			cert := filepath.Join(l.LiveDir(), "cert.pem")
			mustNoErr(t, os.Remove(cert))
			mustNoErr(t, os.Symlink("cert-b.pem", cert))
			mustNoErr(t, os.Symlink("cert.pem", filepath.Join(l.LiveDir(), "cert-b.pem")))
			return l.LiveDir()
		}, model.Error, "cert.pem: symlink loop"},
		{"dangling link", "auto", func(t *testing.T, dir string) string {
			l := CertbotLineage{Root: dir, Name: "web"}
			mustNoErr(t, l.WriteGeneration(1, certbotPEM(lf)))
			mustNoErr(t, l.Point(1))
			mustNoErr(t, l.Point(9, "chain"))
			return l.LiveDir()
		}, model.Error, "chain.pem: dangling link: "},
		{"missing file", "certbot", func(t *testing.T, dir string) string {
			l := CertbotLineage{Root: dir, Name: "web"}
			mustNoErr(t, l.WriteGeneration(1, certbotPEM(lf)))
			mustNoErr(t, l.Point(1, "cert", "chain", "privkey"))
			return l.LiveDir()
		}, model.Error, "fullchain.pem: missing: "},
		{"path does not exist", "auto", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "live", "nope")
		}, model.Error, "does not exist (yet)"},
		{"directory replaced by a file", "store", func(t *testing.T, dir string) string {
			return writeAt(t, dir, "web", []byte("oops"))
		}, model.Error, "is a file; layout store needs a directory"},
		{"store with dangling current", "auto", func(t *testing.T, dir string) string {
			mustNoErr(t, os.Symlink("v0042", filepath.Join(dir, "current")))
			return dir
		}, model.Error, "current: dangling link"},
		{"named pipe", "single-file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo.pem")
			mustNoErr(t, syscall.Mkfifo(p, 0o600))
			return p
		}, model.Error, "fifo.pem: a FIFO (named pipe), not a regular file"},
		{"unknown layout", "auto", func(t *testing.T, dir string) string {
			return dir
		}, model.Error, "cannot tell the layout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.build(t, t.TempDir())
			b := w.bundle(path, tc.layout)
			done := make(chan *model.BundleSnapshot, 1)
			go func() { done <- ReadBundle(b, time.Now()) }()
			var snap *model.BundleSnapshot
			select {
			case snap = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("reading the bundle hangs")
			}
			v := verdictOf(t, b, snap)
			if v.Status != tc.want || !strings.Contains(strings.Join(v.Reasons, "\n"), tc.reason) {
				t.Fatalf("%s %q, want %s containing %q", v.Status, v.Reasons, tc.want, tc.reason)
			}
		})
	}
}

// Tests run as root here, where permission bits do not stop reads, so the
// permission-denied path is checked in two halves: the reason wording for
// EACCES always, and a real unreadable file only when not root.
func TestUnreadableFileSaysPermissionDenied(t *testing.T) {
	err := &fs.PathError{Op: "open", Path: "/k.pem", Err: syscall.EACCES}
	if got := describeFSError(err, "/k.pem"); got != "cannot read /k.pem: permission denied" {
		t.Fatalf("reason %q", got)
	}
	if os.Geteuid() == 0 {
		t.Skip("running as root: a 0000 file is still readable, the real-file half cannot fail")
	}
	w := newDiskWorld(t)
	p := writeAt(t, t.TempDir(), "x.pem", w.leaf(t).KeyPEM())
	mustNoErr(t, os.Chmod(p, 0)) // test fixture: the key it holds is throwaway
	b := w.bundle(p, "single-file")
	v := verdictOf(t, b, ReadBundle(b, time.Now()))
	if v.Status != model.Error || !strings.Contains(v.Reasons[0], "permission denied") {
		t.Fatalf("%s %q", v.Status, v.Reasons)
	}
}

// TestKeyBytesNeverReachAnyOutput reads bundles built to fail in every way
// that involves a key and scans all reasons, file errors, change messages
// and the JSON report for the key's base64 body.
func TestKeyBytesNeverReachAnyOutput(t *testing.T) {
	w := newDiskWorld(t)
	lf := w.leaf(t)
	keyPEM := lf.KeyPEM()
	var body []string
	for _, line := range strings.Split(string(keyPEM), "\n") {
		if len(line) >= 12 && !strings.HasPrefix(line, "-----") {
			body = append(body, line[:12])
		}
	}
	dir := t.TempDir()
	paths := []string{
		writeAt(t, dir, "key-as-chain.pem", keyPEM),
		writeAt(t, dir, "two-keys.pem", append(append([]byte{}, keyPEM...), keyPEM...)),
		writeAt(t, dir, "broken-key.pem", bytes.Replace(keyPEM, []byte("KEY-----\n"), []byte("KEY-----\n#"), 1)),
		writeAt(t, dir, "other-key.pem", append(w.leaf(t).KeyPEM(), lf.FullchainPEM()...)),
		writeAt(t, dir, "truncated.pem", append(lf.FullchainPEM(), keyPEM[:len(keyPEM)/2]...)),
	}
	for _, p := range paths {
		b := w.bundle(p, "single-file")
		snap := ReadBundle(b, time.Now())
		s := model.NewState(&model.Fleet{Bundles: []model.Bundle{b}})
		changes := s.Apply(time.Now(), []model.Event{snap})
		report, _ := json.Marshal(s.Bundle("web").Report(time.Now()))
		out := string(report) + reasons(snap)
		for _, c := range changes {
			out += c.Message
		}
		for _, f := range snap.Files {
			out += f.Err + string(f.Data)
		}
		for _, frag := range body {
			if strings.Contains(out, frag) {
				t.Fatalf("%s: output contains key material", filepath.Base(p))
			}
		}
		if s.Bundle("web").Verdict.Status == model.OK {
			t.Fatalf("%s: passed as OK", filepath.Base(p))
		}
	}
}

func writeAt(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	mustNoErr(t, writeNew(p, data, 0o600))
	return p
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, fs.ErrExist) {
		t.Fatal(err)
	}
}

// FuzzReadSingleFile writes arbitrary bytes as a single-file bundle and
// reads it back through the real reader and checks: never a panic, never
// OK unless the bytes really hold a certificate and its key. Each run
// touches the disk and checks a key pair, so run it with
// -fuzzminimizetime 3s: Go's default minute of minimizing every new input
// otherwise looks like a stall (execs stop counting while it minimizes).
//
//	go test -run '^$' -fuzz '^FuzzReadSingleFile$' -fuzztime 60s -fuzzminimizetime 3s ./probe
func FuzzReadSingleFile(f *testing.F) {
	w := &diskWorld{}
	ca := pki.Must(pki.NewCA("Fuzz Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"f.test"}}))
	f.Add(append(leaf.KeyPEM(), leaf.FullchainPEM()...))
	f.Add(leaf.FullchainPEM())
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{})
	dir := f.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		f.Fatal(err)
	}
	w.caFile = caFile
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "one.pem")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		b := w.bundle(p, "auto")
		snap := ReadBundle(b, time.Now())
		facts := snap.Facts()
		v := verdictOf(t, b, snap)
		if v.Status == model.OK && (!facts.HasKey || !facts.KeyMatch || facts.Leaf == nil) {
			t.Fatalf("OK without a matching pair: %q", v.Reasons)
		}
	})
}

// A directory holding only cert.pem (or fullchain.pem) and privkey.pem is
// a pair, not a certbot lineage with two files missing; a real lineage
// (links into ../../archive) missing one of its files is still a lineage,
// and the missing file is reported as missing, with no mode.
func TestPlainCertAndKeyDirectoryIsAPair(t *testing.T) {
	w := newDiskWorld(t)
	lf := w.leaf(t)
	for _, certName := range []string{"cert.pem", "fullchain.pem"} {
		dir := filepath.Join(t.TempDir(), "tls")
		mustNoErr(t, os.MkdirAll(dir, 0o755))
		mustNoErr(t, writeNew(filepath.Join(dir, certName), lf.FullchainPEM(), 0o644))
		mustNoErr(t, writeNew(filepath.Join(dir, "privkey.pem"), lf.KeyPEM(), 0o600))
		b := w.bundle(dir, "auto")
		snap := ReadBundle(b, time.Now())
		if v := verdictOf(t, b, snap); snap.Layout != model.LayoutPair || v.Status != model.OK {
			t.Fatalf("%s + privkey.pem: layout %s, %s %q", certName, snap.Layout, v.Status, v.Reasons)
		}
		if len(snap.Files) != 2 || snap.Files[0].Name != certName || snap.Files[1].Name != "privkey.pem" {
			t.Fatalf("%s + privkey.pem: files %v", certName, fileNames(snap))
		}
	}

	l := w.lineage(t, lf)
	mustNoErr(t, os.Remove(filepath.Join(l.LiveDir(), "chain.pem")))
	b := w.bundle(l.LiveDir(), "auto")
	snap := ReadBundle(b, time.Now())
	if snap.Layout != model.LayoutCertbot {
		t.Fatalf("a lineage missing chain.pem read as %s", snap.Layout)
	}
	r := (&model.BundleState{Bundle: b, Facts: snap.Facts()}).Report(time.Now())
	for _, f := range r.Files {
		if f.Name == "chain.pem" && (f.Mode != "" || !strings.HasPrefix(f.Error, "missing: ")) {
			t.Fatalf("missing chain.pem reported as mode %q error %q", f.Mode, f.Error)
		}
	}
}

// `--layout pair` on a directory reads cert.pem and privkey.pem.
func TestPairLayoutWithoutFileNamesReadsTheUsualNames(t *testing.T) {
	w := newDiskWorld(t)
	lf := w.leaf(t)
	dir := t.TempDir()
	mustNoErr(t, writeNew(filepath.Join(dir, "cert.pem"), lf.FullchainPEM(), 0o644))
	mustNoErr(t, writeNew(filepath.Join(dir, "privkey.pem"), lf.KeyPEM(), 0o600))
	f, err := model.FleetWithBundlePaths(nil, []string{dir}, model.LayoutPair, w.caFile)
	if err != nil {
		t.Fatal(err)
	}
	snap := ReadBundle(f.Bundles[0], time.Now())
	if v := verdictOf(t, f.Bundles[0], snap); snap.Layout != model.LayoutPair || v.Status != model.OK {
		t.Fatalf("layout %s, %s %q", snap.Layout, v.Status, v.Reasons)
	}
}

func fileNames(s *model.BundleSnapshot) []string {
	var out []string
	for _, f := range s.Files {
		out = append(out, f.Name)
	}
	return out
}
