package rotate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeVersion creates <dir>/<name>/ with the given files (test fixture only).
func writeVersion(t *testing.T, dir, name string, files map[string]string) {
	t.Helper()
	vd := filepath.Join(dir, name)
	if err := os.MkdirAll(vd, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(vd, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pointCurrent atomically points <dir>/current at target, as the store does.
func pointCurrent(t *testing.T, dir, target string) {
	t.Helper()
	tmp := filepath.Join(dir, ".current-test")
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, CurrentLink)); err != nil {
		t.Fatal(err)
	}
}

func TestOpenKeepsReadingTheVersionItResolved(t *testing.T) {
	dir := t.TempDir()
	writeVersion(t, dir, "v0001", map[string]string{"cert.pem": "cert-1", "privkey.pem": "key-1"})
	writeVersion(t, dir, "v0002", map[string]string{"cert.pem": "cert-2", "privkey.pem": "key-2"})
	pointCurrent(t, dir, "v0001")

	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Name != "v0001" {
		t.Fatalf("Name = %q, want v0001", v.Name)
	}
	cert, err := v.ReadFile("cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	// A publish swaps current between the reader's two reads.
	pointCurrent(t, dir, "v0002")
	key, err := v.ReadFile("privkey.pem")
	if err != nil {
		t.Fatal(err)
	}
	if string(cert) != "cert-1" || string(key) != "key-1" {
		t.Fatalf("mixed vintages: cert=%q key=%q", cert, key)
	}

	v2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	if got, _ := v2.ReadFile("cert.pem"); v2.Name != "v0002" || string(got) != "cert-2" {
		t.Fatalf("after swap: Name=%q cert=%q, want v0002 cert-2", v2.Name, got)
	}
}

func TestOpenSurvivesRenamedAwayVersionDir(t *testing.T) {
	dir := t.TempDir()
	writeVersion(t, dir, "v0001", map[string]string{"cert.pem": "cert-1"})
	pointCurrent(t, dir, "v0001")
	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	// Even if the path no longer leads to the version, the handle does.
	if err := os.Rename(filepath.Join(dir, "v0001"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if got, err := v.ReadFile("cert.pem"); err != nil || string(got) != "cert-1" {
		t.Fatalf("ReadFile after rename = %q, %v", got, err)
	}
}

func TestOpenRefusesLinksLeavingTheBundleDir(t *testing.T) {
	for _, target := range []string{"../elsewhere", "/etc", "v0001/sub", ".."} {
		t.Run(target, func(t *testing.T) {
			dir := t.TempDir()
			writeVersion(t, dir, "v0001/sub", map[string]string{"cert.pem": "x"})
			pointCurrent(t, dir, target)
			v, err := Open(dir)
			if err == nil {
				v.Close()
				t.Fatalf("Open accepted current -> %s", target)
			}
			if !strings.Contains(err.Error(), "not a version directory") {
				t.Fatalf("error %q does not explain the refusal", err)
			}
		})
	}
}

func TestOpenWithoutCurrentFails(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open of empty dir: err = %v, want ErrNotExist", err)
	}
}

func TestReadFileStaysInsideTheVersion(t *testing.T) {
	dir := t.TempDir()
	writeVersion(t, dir, "v0001", nil)
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../secret", filepath.Join(dir, "v0001", "escape.pem")); err != nil {
		t.Fatal(err)
	}
	pointCurrent(t, dir, "v0001")
	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, name := range []string{"../secret", "escape.pem", "/etc/hostname"} {
		if _, err := v.ReadFile(name); err == nil {
			t.Errorf("ReadFile(%q) escaped the version directory", name)
		}
	}
}

func TestReadFileRefusesHugeFiles(t *testing.T) {
	dir := t.TempDir()
	writeVersion(t, dir, "v0001", map[string]string{
		"big.pem": strings.Repeat("A", MaxFileSize+1),
		"max.pem": strings.Repeat("A", MaxFileSize),
	})
	pointCurrent(t, dir, "v0001")
	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.ReadFile("big.pem"); !errors.Is(err, ErrFileTooLarge) {
		t.Fatalf("ReadFile(big) err = %v, want ErrFileTooLarge", err)
	}
	if b, err := v.ReadFile("max.pem"); err != nil || len(b) != MaxFileSize {
		t.Fatalf("ReadFile(max) = %d bytes, %v", len(b), err)
	}
	if _, err := v.ReadFile("."); err == nil {
		t.Fatal("ReadFile of a directory succeeded")
	}
	st, err := v.Stat("max.pem")
	if err != nil || st.Size() != MaxFileSize {
		t.Fatalf("Stat = %v, %v", st, err)
	}
}
