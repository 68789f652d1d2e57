package rotate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/model"
)

// ticketClock is a settable fake clock for key-dir tests.
type ticketClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *ticketClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *ticketClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTicketDir(t testing.TB, f model.TicketFormat) (*TicketDir, *ticketClock) {
	t.Helper()
	clk := &ticketClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	os.Chmod(dir, 0o755) // 0777 under a test's umask 0: refused above a key dir
	return &TicketDir{Dir: filepath.Join(dir, "tickets"), Format: f, Clock: clk.now}, clk
}

func mustInit(t testing.TB, d *TicketDir) *TicketResult {
	t.Helper()
	res, err := d.Init(context.Background(), InitOptions{})
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	return res
}

func mustRotate(t testing.TB, d *TicketDir) *TicketResult {
	t.Helper()
	res, err := d.Rotate(context.Background(), RotateOptions{})
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	return res
}

// loadSet reads the dir back and fails unless it holds a complete set.
func loadSet(t testing.TB, d *TicketDir) (model.TicketKeySet, model.TicketDirFacts) {
	t.Helper()
	set, facts := LoadTicketDir(d.Dir, d.Format, d.now())
	if !set.Complete() {
		t.Fatalf("key set incomplete: %v", facts.Findings)
	}
	return set, facts
}

// snapshot is every file of the dir by name, to prove nothing changed.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Type().IsRegular() {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			out[e.Name()] = string(data)
		}
	}
	return out
}

func TestTicketInitWritesThreeFreshOwnerOnlyKeys(t *testing.T) {
	withUmask0(t)
	var created []string
	orig := openFile
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := orig(name, flag, perm)
		if err == nil {
			st, _ := os.Lstat(name)
			if flag&os.O_EXCL == 0 || st.Mode().Perm() != 0o600 {
				t.Errorf("%s created with flag %#x, mode %v on disk at creation; want O_EXCL and 0600", filepath.Base(name), flag, st.Mode().Perm())
			}
			created = append(created, filepath.Base(name))
		}
		return f, err
	}
	t.Cleanup(func() { openFile = orig })

	for _, f := range model.TicketFormats {
		t.Run(string(f), func(t *testing.T) {
			d, _ := newTicketDir(t, f)
			created = nil
			res := mustInit(t, d)
			set, facts := loadSet(t, d)
			names := map[string]bool{}
			for _, r := range model.TicketRoles {
				k := set.ByRole(r)
				names[k.Name()] = true
				if k.Size() != model.DefaultTicketKeySize(f) || res.After[r] != k.Name() {
					t.Errorf("%s: %s (result says %s)", r, k, res.After[r])
				}
			}
			if len(names) != 3 {
				t.Fatalf("init made %d distinct keys, want 3", len(names))
			}
			for _, name := range model.TicketDirFiles(f) {
				st, err := os.Stat(filepath.Join(d.Dir, name))
				if err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("%s: %v mode %v", name, err, st.Mode().Perm())
				}
			}
			if len(created) != len(model.TicketDirFiles(f))+1 { // + the meta file
				t.Errorf("created %v: every file through one O_EXCL 0600 create", created)
			}
			if cur, _ := facts.Key(model.RoleCurrent); cur.SinceFrom != "meta" || !cur.Since.Equal(d.now()) {
				t.Errorf("current = %+v, want its time from the meta file", cur)
			}
			if st, _ := os.Stat(d.Dir); st.Mode().Perm() != 0o700 {
				t.Errorf("key dir created %v, want 0700", st.Mode().Perm())
			}
			if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "mount -t tmpfs") {
				t.Errorf("init on %s gave no tmpfs advice: %v", facts.FSType, res.Warnings)
			}
		})
	}
}

func TestTicketInitRefusesADirHoldingKeys(t *testing.T) {
	d, _ := newTicketDir(t, model.TicketNginx80)
	mustInit(t, d)
	before := snapshot(t, d.Dir)
	_, err := d.Init(context.Background(), InitOptions{})
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != ReasonTicketKeysExist {
		t.Fatalf("second init: %v, want a refusal", err)
	}
	res, err := d.Init(context.Background(), InitOptions{IfMissing: true})
	if err != nil || !res.Unchanged {
		t.Fatalf("init --if-missing on a complete set: %v %+v", err, res)
	}
	if !mapsEqual(before, snapshot(t, d.Dir)) {
		t.Fatal("a refused init changed the dir")
	}
	// --if-missing does not paper over a damaged set.
	os.WriteFile(filepath.Join(d.Dir, "next.key"), []byte("short"), 0o600)
	if _, err := d.Init(context.Background(), InitOptions{IfMissing: true}); !errors.As(err, &r) {
		t.Fatalf("init --if-missing over a damaged set: %v", err)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTicketRotateMovesEveryKeyOneRole(t *testing.T) {
	for _, f := range model.TicketFormats {
		t.Run(string(f), func(t *testing.T) {
			d, clk := newTicketDir(t, f)
			mustInit(t, d)
			before, _ := loadSet(t, d)
			clk.advance(time.Hour)
			res := mustRotate(t, d)
			after, facts := loadSet(t, d)
			if !after.Previous.SameKey(before.Current) || !after.Current.SameKey(before.Next) {
				t.Fatalf("after: %v; want previous ← current (%s), current ← next (%s)", after, before.Current, before.Next)
			}
			for _, r := range model.TicketRoles {
				if after.Next.NameBytes() == before.ByRole(r).NameBytes() {
					t.Fatalf("next is not fresh: it is the old %s", r)
				}
			}
			if res.Before[model.RoleCurrent] != before.Current.Name() || res.After[model.RoleCurrent] != before.Next.Name() {
				t.Errorf("result %+v", res)
			}
			for _, r := range model.TicketRoles {
				k, _ := facts.Key(r)
				if !k.Since.Equal(clk.now()) || k.SinceFrom != "meta" {
					t.Errorf("%s since %s (%s), want the rotation time from meta", r, k.Since, k.SinceFrom)
				}
			}
			if f == model.TicketHAProxy {
				keys, err := model.ParseHAProxyTicketKeys([]byte(snapshot(t, d.Dir)[model.HAProxyTicketFile]))
				if err != nil || len(keys) != 3 || !keys[1].SameKey(before.Next) {
					t.Fatalf("HAProxy file: %v; want 3 lines, the old next second-to-last", err)
				}
			}
			if l := ticketLeftovers(t, d.Dir); len(l) > 0 {
				t.Errorf("leftovers %v", l)
			}
		})
	}
}

func ticketLeftovers(t testing.TB, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ticketTempPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestTicketRotateRefusesBadInputAndChangesNothing(t *testing.T) {
	cases := []struct {
		name   string
		format model.TicketFormat
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"wrong size", model.TicketNginx80, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "next.key"), bytes.Repeat([]byte{1}, 48), 0o600)
		}, "next.key: 48 bytes, but a nginx80 key is 80 bytes"},
		{"missing file", model.TicketNginx48, func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "previous.key")) }, "previous.key: missing"},
		{"FIFO", model.TicketNginx48, func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "current.key")) }, "a FIFO (named pipe), not a regular file"},
		{"unreadable", model.TicketApache48, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "next.key"))
			os.Mkdir(filepath.Join(dir, "next.key"), 0o700)
		}, "next.key: read ticket key file"},
		{"two HAProxy lines", model.TicketHAProxy, func(t *testing.T, dir string) {
			p := filepath.Join(dir, model.HAProxyTicketFile)
			data, _ := os.ReadFile(p)
			lines := strings.SplitAfter(string(data), "\n")
			os.WriteFile(p, []byte(lines[0]+lines[1]), 0o600)
		}, "2 line(s); HAProxy needs at least 3 keys"},
		{"not base64", model.TicketHAProxy, func(t *testing.T, dir string) {
			p := filepath.Join(dir, model.HAProxyTicketFile)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, append([]byte("%%%%\n"), data...), 0o600)
		}, "line 1 is not base64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newTicketDir(t, tc.format)
			mustInit(t, d)
			tc.damage(t, d.Dir)
			before := snapshot(t, d.Dir)
			err := within(t, "rotate", func() error { _, err := d.Rotate(context.Background(), RotateOptions{}); return err })
			var r *Refusal
			if !errors.As(err, &r) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("rotate: %v; want a refusal saying %q", err, tc.want)
			}
			if !mapsEqual(before, snapshot(t, d.Dir)) {
				t.Fatal("a refused rotation changed the dir")
			}
		})
	}
}

// TestTicketRotationStoppedMidwayLeavesEveryKeyThatMatters stops a
// rotation before each rename in turn: every file is still whole, the
// keys that were and will be encrypting are both still there, and the
// next rotation finishes the interrupted one instead of rotating twice.
func TestTicketRotationStoppedMidwayLeavesEveryKeyThatMatters(t *testing.T) {
	for _, stopAt := range []string{"previous.key", "current.key", "next.key", model.TicketMetaFile} {
		t.Run("before "+stopAt, func(t *testing.T) {
			d, _ := newTicketDir(t, model.TicketNginx80)
			mustInit(t, d)
			before, _ := loadSet(t, d)
			ticketWriteHook = func(name string) error {
				if name == stopAt {
					return errors.New("stopped")
				}
				return nil
			}
			_, err := d.Rotate(context.Background(), RotateOptions{})
			ticketWriteHook = nil
			if err == nil {
				t.Fatal("rotation did not stop")
			}
			mid, _ := loadSet(t, d) // every file parses: none truncated or missing
			holds := func(k model.TicketKey) bool {
				return mid.Current.SameKey(k) || mid.Next.SameKey(k) || mid.Previous.SameKey(k)
			}
			if !holds(before.Current) || !holds(before.Next) {
				t.Fatalf("stopped before %s: the dir lost the encrypting or the next key", stopAt)
			}
			if !mid.Current.SameKey(before.Current) && !mid.Current.SameKey(before.Next) {
				t.Fatalf("stopped before %s: encrypting with a key nobody holds decrypt-only", stopAt)
			}
			res := mustRotate(t, d)
			after, _ := loadSet(t, d)
			if !after.Previous.SameKey(before.Current) || !after.Current.SameKey(before.Next) {
				t.Fatalf("after the retry: previous %s current %s; want %s and %s (one rotation, not two)",
					after.Previous, after.Current, before.Current, before.Next)
			}
			if (stopAt != "previous.key") != (res.Finished != "") {
				t.Errorf("stopped before %s: finished = %q", stopAt, res.Finished)
			}
			if l := ticketLeftovers(t, d.Dir); len(l) > 0 {
				t.Errorf("leftovers after the retry: %v", l)
			}
		})
	}
}

func TestTicketRotateKeepsThePreviousKeyForTheTicketLifetime(t *testing.T) {
	d, clk := newTicketDir(t, model.TicketNginx48)
	mustInit(t, d)
	// The previous key init made never encrypted: the first rotation
	// need not wait.
	if _, err := d.Rotate(context.Background(), RotateOptions{TicketLifetime: 5 * time.Minute}); err != nil {
		t.Fatalf("first rotation after init: %v", err)
	}
	before := snapshot(t, d.Dir)
	clk.advance(2 * time.Minute)
	_, err := d.Rotate(context.Background(), RotateOptions{TicketLifetime: 5 * time.Minute})
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != ReasonPreviousInUse || !strings.Contains(err.Error(), "2026-03-01T08:05:00Z") {
		t.Fatalf("rotate 2m after the last with 5m tickets: %v; want a refusal naming when", err)
	}
	if !mapsEqual(before, snapshot(t, d.Dir)) {
		t.Fatal("a refused rotation changed the dir")
	}
	if _, err := d.Rotate(context.Background(), RotateOptions{TicketLifetime: 5 * time.Minute, Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	clk.advance(5 * time.Minute)
	if _, err := d.Rotate(context.Background(), RotateOptions{TicketLifetime: 5 * time.Minute}); err != nil {
		t.Fatalf("rotate once the lifetime passed: %v", err)
	}
}

func TestTicketRotateDryRunWritesNothing(t *testing.T) {
	d, _ := newTicketDir(t, model.TicketNginx80)
	mustInit(t, d)
	before := snapshot(t, d.Dir)
	set, _ := loadSet(t, d)
	res, err := d.Rotate(context.Background(), RotateOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !mapsEqual(before, snapshot(t, d.Dir)) {
		t.Fatal("a dry run changed the dir")
	}
	plan := strings.Join(res.Steps, "\n")
	if !strings.Contains(plan, "previous.key ← current.key ("+model.ShortKeyName(set.Current.Name())) ||
		!strings.Contains(plan, "current.key ← next.key ("+model.ShortKeyName(set.Next.Name())) {
		t.Fatalf("plan:\n%s", plan)
	}
	d.ReadOnly = true
	if _, err := d.Rotate(context.Background(), RotateOptions{DryRun: true}); err != nil {
		t.Fatalf("a dry run under --read-only: %v", err)
	}
	if _, err := d.Rotate(context.Background(), RotateOptions{}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("rotate under --read-only: %v", err)
	}
}

func TestTicketDirRefusesUnsafeDirs(t *testing.T) {
	d, _ := newTicketDir(t, model.TicketNginx80)
	mustInit(t, d)
	os.Chmod(d.Dir, 0o777)
	_, err := d.Rotate(context.Background(), RotateOptions{})
	var se *StoreSafetyError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "chmod go-w") {
		t.Fatalf("group/others-writable dir: %v", err)
	}
	os.Chmod(d.Dir, 0o700)
	if os.Geteuid() == 0 {
		os.Chown(d.Dir, 65534, 65534)
		_, err = d.Rotate(context.Background(), RotateOptions{})
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "chown") {
			t.Fatalf("dir owned by another user: %v", err)
		}
		os.Chown(d.Dir, 0, 0)
	}
	lock := filepath.Join(d.Dir, lockFile)
	os.Remove(lock)
	os.Symlink("/etc/passwd", lock)
	if _, err = d.Rotate(context.Background(), RotateOptions{}); !errors.As(err, &se) {
		t.Fatalf(".lock planted as a symlink: %v", err)
	}
}

func TestTicketConvertKeepsKeysAcrossLayouts(t *testing.T) {
	src, _ := newTicketDir(t, model.TicketNginx80)
	mustInit(t, src)
	mustRotate(t, src)
	want, wantFacts := loadSet(t, src)
	dst := &TicketDir{Dir: filepath.Join(t.TempDir(), "hk"), Format: model.TicketHAProxy, Clock: src.Clock}
	if _, err := src.Convert(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
	got, facts := loadSet(t, dst)
	for _, r := range model.TicketRoles {
		if !got.ByRole(r).SameKey(want.ByRole(r)) {
			t.Errorf("%s changed in the conversion", r)
		}
		k, _ := facts.Key(r)
		w, _ := wantFacts.Key(r)
		if !k.Since.Equal(w.Since) {
			t.Errorf("%s since %s, want %s kept", r, k.Since, w.Since)
		}
	}
	// The same 80 bytes copied instead of converted are other keys.
	raw, _ := os.ReadFile(filepath.Join(src.Dir, "current.key"))
	copied, _ := model.ParseTicketKey(model.TicketHAProxy, raw)
	if copied.SameKey(want.Current) {
		t.Fatal("nginx80 and haproxy layouts should differ")
	}
	apache := &TicketDir{Dir: filepath.Join(t.TempDir(), "ap"), Format: model.TicketApache48}
	var r *Refusal
	if _, err := src.Convert(context.Background(), apache); !errors.As(err, &r) || !strings.Contains(err.Error(), "apache48 keys are 48 bytes") {
		t.Fatalf("80-byte keys into apache48: %v", err)
	}
	if _, err := os.Stat(apache.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused conversion created the target dir")
	}
}

func TestTicketConfigLinesPutTheEncryptingKeyFirst(t *testing.T) {
	lines, err := TicketConfigLines("/run/t", model.TicketNginx80, "nginx")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(lines[1], "ssl_session_ticket_key /run/t/current.key;") {
		t.Fatalf("first ssl_session_ticket_key must be current.key: %q", lines)
	}
	if _, err := TicketConfigLines("/run/t", model.TicketHAProxy, "nginx"); err == nil || !strings.Contains(err.Error(), "certdeck tickets convert") {
		t.Fatalf("haproxy keys for nginx: %v", err)
	}
	lines, _ = TicketConfigLines("/run/my keys", model.TicketHAProxy, "haproxy")
	if !strings.Contains(lines[1], `tls-ticket-keys "/run/my keys/tls-ticket-keys"`) {
		t.Fatalf("haproxy line %q", lines[1])
	}
}
