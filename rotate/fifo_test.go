package rotate

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/model"
)

// A FIFO where a file is expected would block open(2) until a writer
// appears, forever, and `rotate` would hang holding the bundle's lock.
// Every read must end within seconds with an error naming the FIFO.

// mkfifo replaces path with a named pipe nobody writes to.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// within runs f and fails the test if it has not returned after a few
// seconds (a hang is the failure these tests look for).
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still blocked after 5 s (a FIFO was opened)", what)
		return nil
	}
}

func TestFIFOInputsFailFastWithAClearError(t *testing.T) {
	leaf := issue(t, "web.example.test")
	dir := t.TempDir()
	full := filepath.Join(dir, "fullchain.pem")
	os.WriteFile(full, leaf.FullchainPEM(), 0o644)
	fifo := filepath.Join(dir, "fifo.pem")
	mkfifo(t, fifo)

	src := filepath.Join(dir, "lineage")
	os.Mkdir(src, 0o755)
	os.WriteFile(filepath.Join(src, FullchainFile), leaf.FullchainPEM(), 0o644)
	mkfifo(t, filepath.Join(src, KeyFile))
	good := filepath.Join(dir, "staging")
	os.Mkdir(good, 0o755)
	os.WriteFile(filepath.Join(good, FullchainFile), leaf.FullchainPEM(), 0o644)
	os.WriteFile(filepath.Join(good, KeyFile), leaf.KeyPEM(), 0o600)

	cases := map[string]func() error{
		"--key":          func() error { _, err := LoadFiles("", fifo, "", full, ""); return err },
		"--cert":         func() error { _, err := LoadFiles(fifo, full, "", "", ""); return err },
		"--chain":        func() error { _, err := LoadFiles(full, full, fifo, "", ""); return err },
		"--fullchain":    func() error { _, err := LoadFiles("", full, "", fifo, ""); return err },
		"--ca":           func() error { _, err := LoadFiles("", full, "", full, fifo); return err },
		"source: file":   func() error { _, err := LoadSource(src); return err },
		"source: itself": func() error { _, err := LoadSource(fifo); return err },
		"ca:": func() error {
			_, err := SourceInputs(model.Bundle{Name: "web", Source: good, CAFile: fifo})
			return err
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			err := within(t, name, f)
			if err == nil || !(strings.Contains(err.Error(), "FIFO") || strings.Contains(err.Error(), "not a directory")) {
				t.Fatalf("err = %v, want a refusal naming the FIFO", err)
			}
		})
	}
}

func TestFIFOInTheStoreNeverHangsAWriterOrAReader(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	dir := s.BundleDir("web")
	// The version rollback would go to, and current's own meta.json.
	mkfifo(t, filepath.Join(dir, "v0001", KeyFile))
	mkfifo(t, filepath.Join(dir, "v0002", MetaFile))

	err := within(t, "Open+ReadFile", func() error {
		v, err := Open(dir)
		if err != nil {
			return err
		}
		defer v.Close()
		_, err = v.ReadFile(MetaFile)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("reading a FIFO meta.json: err = %v", err)
	}
	err = within(t, "rollback", func() error { _, err := s.Rollback(t.Context(), "web", "v0001"); return err })
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("rollback onto a version holding a FIFO: err = %v", err)
	}
	var rows []VersionListing
	within(t, "store ls", func() error { rows, err = s.Versions("web"); return err })
	if len(rows) != 2 || !strings.Contains(rows[1].Error, "not a regular file") {
		t.Fatalf("store ls rows = %+v, want the FIFO reported on v0002", rows)
	}
	// A publish repairs the unreadable current rather than hang on it.
	err = within(t, "publish", func() error {
		_, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
		return err
	})
	if err != nil {
		t.Fatalf("publish over an unreadable current: %v", err)
	}
	checkCurrentComplete(t, dir)
}

func TestFIFOAsLockOrAuditLogFailsFast(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	mkfifo(t, filepath.Join(s.BundleDir("web"), lockFile))
	err := within(t, "publish with a FIFO lock", func() error {
		_, err := s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("FIFO as .lock: err = %v", err)
	}
	os.Remove(filepath.Join(s.BundleDir("web"), lockFile))

	mkfifo(t, s.AuditLog)
	var res *Result
	err = within(t, "publish with a FIFO audit log", func() error {
		var err error
		res, err = s.Publish(t.Context(), "web", inputsFor(issue(t, "web.example.test")))
		return err
	})
	if err != nil || len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, " "), "audit") {
		t.Fatalf("FIFO as audit log: err %v, result %+v; want the publish done and the audit failure warned", err, res)
	}
}
