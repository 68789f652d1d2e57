package model

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"
)

var dirNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// rawDirRead is a healthy nginx-style read on tmpfs: three 0600 keys
// written at mtime, no meta.
func rawDirRead(f TicketFormat, size int, mtime time.Time) TicketDirRead {
	r := TicketDirRead{Dir: "/run/tickets", Format: f, At: dirNow, FSMagic: fsTmpfs, FSKnown: true}
	for i, role := range TicketRoles {
		r.Files = append(r.Files, TicketFileRead{Name: TicketKeyFile(role), Path: "/run/tickets/" + TicketKeyFile(role),
			Mode: 0o600, Size: int64(size), ModTime: mtime, Data: rawKey(size, byte(10+60*i))})
	}
	return r
}

func reasons(v Verdict) string { return strings.Join(v.Reasons, " | ") }

func TestInspectTicketDirRolesNamesAndAges(t *testing.T) {
	mtime := dirNow.Add(-3 * time.Hour)
	r := rawDirRead(TicketNginx80, 80, mtime)
	set, facts := InspectTicketDir(r)
	if !set.Complete() || len(facts.Findings) != 0 {
		t.Fatalf("healthy dir: complete=%v findings=%v", set.Complete(), facts.Findings)
	}
	cur, ok := facts.Key(RoleCurrent)
	if !ok || cur.Name != hex.EncodeToString(rawKey(80, 10)[:16]) || cur.File != "current.key" {
		t.Fatalf("current = %+v", cur)
	}
	if !cur.Since.Equal(mtime) || cur.SinceFrom != "mtime" {
		t.Errorf("without meta the age comes from mtime: %+v", cur)
	}
	// The meta file is the record of when a key took its role.
	took := dirNow.Add(-30 * time.Minute)
	r.Meta = TicketMeta{Format: TicketNginx80, Keys: []TicketMetaKey{{Role: RoleCurrent, Name: cur.Name, Since: took}}}.Encode()
	_, facts = InspectTicketDir(r)
	cur, _ = facts.Key(RoleCurrent)
	if !cur.Since.Equal(took) || cur.SinceFrom != "meta" {
		t.Errorf("with meta: %+v, want since %s from meta", cur, took)
	}
	// A meta entry for another key (the files were replaced by hand) is
	// not believed for this one.
	next, _ := facts.Key(RoleNext)
	if next.SinceFrom != "mtime" {
		t.Errorf("next = %+v: the meta names no next key, so mtime", next)
	}
}

func TestInspectHAProxyDirUsesTheLastThreeLines(t *testing.T) {
	r := TicketDirRead{Dir: "/run/hk", Format: TicketHAProxy, At: dirNow, FSMagic: fsRamfs, FSKnown: true}
	var lines []string
	for _, seed := range []byte{1, 50, 100, 150} {
		lines = append(lines, haproxyLine(rawKey(80, seed)))
	}
	r.Files = []TicketFileRead{{Name: HAProxyTicketFile, Mode: 0o600, Data: []byte(strings.Join(lines, "\n") + "\n"), ModTime: dirNow}}
	set, facts := InspectTicketDir(r)
	if !set.Complete() {
		t.Fatalf("findings %v", facts.Findings)
	}
	want := map[TicketRole]string{RolePrevious: "line 2", RoleCurrent: "line 3", RoleNext: "line 4"}
	for role, line := range want {
		k, _ := facts.Key(role)
		if !strings.HasSuffix(k.File, line) {
			t.Errorf("%s is %s, want %s", role, k.File, line)
		}
	}
	if cur, _ := facts.Key(RoleCurrent); cur.Name != hex.EncodeToString(rawKey(80, 100)[:16]) {
		t.Errorf("current is %s: HAProxy encrypts with the second-to-last line", cur.Name)
	}
	if len(facts.Notes) < 2 || !strings.Contains(strings.Join(facts.Notes, ";"), "lines 1-1 are not used") {
		t.Errorf("notes %v should say line 1 is unused", facts.Notes)
	}
}

func TestInspectTicketDirFindings(t *testing.T) {
	mtime := dirNow.Add(-time.Hour)
	tests := []struct {
		name   string
		change func(*TicketDirRead)
		status Status
		want   string
	}{
		{"wrong size", func(r *TicketDirRead) { r.Files[1].Data = rawKey(48, 3) }, Crit, "next.key is the wrong size: 48 bytes, but a nginx80 key is 80 bytes"},
		{"readable by others", func(r *TicketDirRead) { r.Files[0].Mode = 0o644 }, Crit, "current.key is readable by group or others (mode 0644)"},
		{"writable by group", func(r *TicketDirRead) { r.Files[2].Mode = 0o620 }, Crit, "previous.key is writable by group or others"},
		{"missing", func(r *TicketDirRead) { r.Files[2] = TicketFileRead{Name: "previous.key", Missing: true} }, Crit, "previous.key is missing"},
		{"a FIFO", func(r *TicketDirRead) {
			r.Files[0].Data, r.Files[0].Err = nil, errors.New("read ticket key file /run/tickets/current.key: a FIFO (named pipe), not a regular file")
		}, Crit, "current.key cannot be read: read ticket key file /run/tickets/current.key: a FIFO"},
		{"on disk", func(r *TicketDirRead) { r.FSMagic = 0xEF53 }, Warn, "key dir is on ext4, not tmpfs or ramfs"},
		{"interrupted rotation", func(r *TicketDirRead) { r.Files[2].Data = r.Files[0].Data }, Warn, "the current and previous keys are the same key"},
		{"one name, two keys", func(r *TicketDirRead) {
			d := append([]byte(nil), r.Files[0].Data...)
			d[70] ^= 0xff
			r.Files[1].Data = d
		}, Crit, "share the name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rawDirRead(TicketNginx80, 80, mtime)
			tt.change(&r)
			_, facts := InspectTicketDir(r)
			v := JudgeTicketDir(&facts, 12*time.Hour, dirNow)
			if v.Status != tt.status || !strings.Contains(reasons(v), tt.want) {
				t.Fatalf("verdict %s %q, want %s with %q", v.Status, reasons(v), tt.status, tt.want)
			}
		})
	}
	t.Run("the tmpfs finding says how to mount one", func(t *testing.T) {
		r := rawDirRead(TicketNginx80, 80, mtime)
		r.FSMagic = 0xEF53
		_, facts := InspectTicketDir(r)
		if !strings.Contains(reasons(JudgeTicketDir(&facts, 0, dirNow)), "mount -t tmpfs -o size=1m,mode=0700,noswap tmpfs /run/tickets") {
			t.Fatal("no mount advice")
		}
	})
	t.Run("a dir that cannot be read is ERROR", func(t *testing.T) {
		_, facts := InspectTicketDir(TicketDirRead{Dir: "/x", Format: TicketNginx48, DirErr: fs.ErrNotExist})
		if v := JudgeTicketDir(&facts, time.Hour, dirNow); v.Status != Error {
			t.Fatalf("verdict %v", v)
		}
	})
}

func TestJudgeTicketDirAgesTheEncryptingKey(t *testing.T) {
	every := 12 * time.Hour
	for _, tt := range []struct {
		age    time.Duration
		status Status
		want   string
	}{
		{11 * time.Hour, OK, ""},
		{13 * time.Hour, Warn, "is 13 hours old (rotate_every 12h)"},
		{25 * time.Hour, Crit, "is 25 hours old (crit > 2 × rotate_every 12h)"},
	} {
		r := rawDirRead(TicketNginx48, 48, dirNow.Add(-tt.age))
		_, facts := InspectTicketDir(r)
		v := JudgeTicketDir(&facts, every, dirNow)
		if v.Status != tt.status || !strings.Contains(reasons(v), tt.want) {
			t.Errorf("age %s: %s %q, want %s %q", tt.age, v.Status, reasons(v), tt.status, tt.want)
		}
	}
	// Only the encrypting key ages out: an old previous key is fine.
	r := rawDirRead(TicketNginx48, 48, dirNow.Add(-time.Hour))
	r.Files[2].ModTime = dirNow.Add(-100 * time.Hour)
	_, facts := InspectTicketDir(r)
	if v := JudgeTicketDir(&facts, every, dirNow); v.Status != OK {
		t.Errorf("old previous key: %v", v)
	}
}

func FuzzInspectTicketDir(f *testing.F) {
	f.Add(uint8(0), rawKey(80, 1), rawKey(80, 2), []byte(nil))
	f.Add(uint8(2), []byte(haproxyLine(rawKey(48, 1))+"\n"+haproxyLine(rawKey(48, 2))+"\n"+haproxyLine(rawKey(48, 3))+"\n"), []byte{}, []byte(`{"version":1}`))
	f.Add(uint8(1), rawKey(48, 1), rawKey(48, 1), []byte(`{"version":1,"keys":[{"role":"current","name":"00","since":"x"}]}`))
	f.Fuzz(func(t *testing.T, which uint8, a, b, meta []byte) {
		format := TicketFormats[int(which)%len(TicketFormats)]
		r := TicketDirRead{Dir: "/d", Format: format, At: dirNow, FSMagic: int64(which), FSKnown: which%2 == 0, Meta: meta}
		for i, name := range TicketDirFiles(format) {
			data := a
			if i == 1 {
				data = b
			}
			r.Files = append(r.Files, TicketFileRead{Name: name, Mode: fs.FileMode(which) << 1, Data: data})
		}
		set, facts := InspectTicketDir(r)
		v := JudgeTicketDir(&facts, time.Hour, dirNow)
		if set.Complete() != (len(facts.Keys) == 3) {
			t.Fatalf("complete=%v with %d key facts", set.Complete(), len(facts.Keys))
		}
		if v.Status == OK && len(facts.Keys) < 3 {
			t.Fatal("an incomplete dir judged OK")
		}
	})
}
