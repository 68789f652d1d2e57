package model

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// poolFleet is three endpoints sharing one key dir, rotated every 12h.
func poolFleet(t *testing.T) *Fleet {
	t.Helper()
	cfg := `endpoints:
  - {name: pool-1, address: 127.0.0.1:1001}
  - {name: pool-2, address: 127.0.0.1:1002}
  - {name: pool-3, address: 127.0.0.1:1003}
  - {name: lone, address: 127.0.0.1:1004}
ticket_keys:
  - {name: pool-tickets, dir: /run/pool, format: nginx80, rotate_every: 12h, ticket_lifetime: 5m, serves: [pool-1, pool-2, pool-3]}
`
	f, err := ParseFleet([]byte(cfg), "pool.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// keyNames of the healthy dir rawDirRead builds: current, next, previous.
var (
	curName  = hex.EncodeToString(rawKey(80, 10)[:16])
	nextName = hex.EncodeToString(rawKey(80, 70)[:16])
	prevName = hex.EncodeToString(rawKey(80, 130)[:16])
	nowhere  = strings.Repeat("ee", 16)
)

func poolDir(mtime time.Time) *TicketDirSnapshot {
	r := rawDirRead(TicketNginx80, 80, mtime)
	r.Dir = "/run/pool"
	_, facts := InspectTicketDir(r)
	return &TicketDirSnapshot{Name: "pool-tickets", Facts: facts}
}

func namedObs(ep, key string, at time.Time) *Observation {
	o := healthyObservation(ep, at)
	o.Ticket = TicketInfo{Issued: true, Kind: TicketNamed, KeyName: key, ResumeChecked: true, Resumed: true}
	return o
}

// healthyObservation is a healthy probe result: a verified 90-day leaf.
func healthyObservation(ep string, at time.Time) *Observation {
	return &Observation{Endpoint: ep, Time: at, TLSVersion: "TLS 1.3", Verified: true, HostnameOK: true,
		Chain: []CertInfo{{Serial: "01", NotBefore: at.Add(-24 * time.Hour), NotAfter: at.Add(89 * 24 * time.Hour)}}}
}

func TestPoolMemberOnAKeyOutsideTheDirStandsOut(t *testing.T) {
	s := NewState(poolFleet(t))
	now := dirNow
	s.Apply(now, []Event{poolDir(now.Add(-time.Hour)),
		namedObs("pool-1", curName, now), namedObs("pool-2", curName, now), namedObs("pool-3", nowhere, now)})
	ts := s.TicketKey("pool-tickets")
	if in, n := ts.Sync(); in != 2 || n != 3 || ts.SyncLabel() != "2/3" {
		t.Fatalf("sync %d/%d", in, n)
	}
	if v := s.Endpoint("pool-3").Verdict; v.Status != Warn || !strings.Contains(reasons(v), "encrypts with a key not in pool-tickets (…eeeeeeee") {
		t.Fatalf("pool-3: %s %q", v.Status, reasons(v))
	}
	for _, ep := range []string{"pool-1", "pool-2"} {
		if v := s.Endpoint(ep).Verdict; v.Status != OK {
			t.Errorf("%s: %s %q", ep, v.Status, reasons(v))
		}
	}
	if v := ts.Verdict; v.Status != Warn || !strings.Contains(reasons(v), "pool-3 encrypts with a key not in pool-tickets") {
		t.Fatalf("entry: %s %q", v.Status, reasons(v))
	}
	if s.Worst() != Warn {
		t.Errorf("worst = %s", s.Worst())
	}
	// Reloaded: it now encrypts with the current key, and nothing stands out.
	s.Apply(now.Add(time.Minute), []Event{namedObs("pool-3", curName, now.Add(time.Minute))})
	if v := s.Endpoint("pool-3").Verdict; v.Status != OK {
		t.Fatalf("pool-3 after its reload: %s %q", v.Status, reasons(v))
	}
	if ts.Verdict.Status != OK || ts.SyncLabel() != "3/3" {
		t.Fatalf("entry after the reload: %s %q %s", ts.Verdict.Status, reasons(ts.Verdict), ts.SyncLabel())
	}
}

func TestPoolMemberStillOnThePreviousKeyIsToldToReload(t *testing.T) {
	s := NewState(poolFleet(t))
	s.Apply(dirNow, []Event{poolDir(dirNow.Add(-time.Hour)), namedObs("pool-1", curName, dirNow), namedObs("pool-2", prevName, dirNow)})
	v := s.Endpoint("pool-2").Verdict
	if v.Status != Warn || !strings.Contains(reasons(v), "encrypts with the previous key of pool-tickets") || !strings.Contains(reasons(v), "reload it") {
		t.Fatalf("pool-2: %s %q", v.Status, reasons(v))
	}
}

func TestPoolWithoutItsDirJudgesByTheMajority(t *testing.T) {
	s := NewState(poolFleet(t))
	unreadable := &TicketDirSnapshot{Name: "pool-tickets", Facts: TicketDirFacts{Dir: "/run/pool", Error: "key dir /run/pool: permission denied"}}
	s.Apply(dirNow, []Event{unreadable, namedObs("pool-1", curName, dirNow), namedObs("pool-2", curName, dirNow), namedObs("pool-3", nowhere, dirNow)})
	if v := s.Endpoint("pool-3").Verdict; v.Status != Warn || !strings.Contains(reasons(v), "the rest of pool-tickets uses "+ShortKeyName(curName)) {
		t.Fatalf("pool-3: %s %q", v.Status, reasons(v))
	}
	if v := s.TicketKey("pool-tickets").Verdict; v.Status != Error {
		t.Fatalf("an unreadable dir is ERROR: %v", v)
	}
}

func TestEndpointWhoseKeyNeverChangesWarnsPastRotateEvery(t *testing.T) {
	s := NewState(poolFleet(t))
	// Seen since two days ago, by an earlier run.
	s.SeedTicketHistory(TicketHistory{"pool-1": {{KeyName: curName, FirstSeen: dirNow.Add(-48 * time.Hour), LastSeen: dirNow.Add(-time.Hour)}}})
	s.Apply(dirNow, []Event{poolDir(dirNow.Add(-time.Hour)), namedObs("pool-1", curName, dirNow)})
	v := s.Endpoint("pool-1").Verdict
	if v.Status != Warn || !strings.Contains(reasons(v), "has encrypted with ticket key "+ShortKeyName(curName)+" since 2026-03-08 12:00Z (2 days): longer than rotate_every 12h") {
		t.Fatalf("pool-1: %s %q", v.Status, reasons(v))
	}
	es := s.Endpoint("pool-1")
	if name, age, ok := es.TicketAge(dirNow); !ok || name != curName || age != 48*time.Hour {
		t.Fatalf("TicketAge = %s %s %v: the age is 'seen since', from the history", name, age, ok)
	}
	// An endpoint in no pool has no rotate_every to break.
	s.SeedTicketHistory(TicketHistory{"lone": {{KeyName: nowhere, FirstSeen: dirNow.Add(-1000 * time.Hour), LastSeen: dirNow}}})
	s.Apply(dirNow, []Event{namedObs("lone", nowhere, dirNow)})
	if v := s.Endpoint("lone").Verdict; v.Status != OK {
		t.Fatalf("lone: %s %q", v.Status, reasons(v))
	}
}

func TestTicketKeyAgesMoveWithTheClock(t *testing.T) {
	s := NewState(poolFleet(t))
	s.Apply(dirNow, []Event{poolDir(dirNow.Add(-11 * time.Hour))})
	ts := s.TicketKey("pool-tickets")
	if ts.Verdict.Status != OK {
		t.Fatalf("11h old: %v", ts.Verdict)
	}
	if due, ok := ts.NextRotationDue(); !ok || !due.Equal(dirNow.Add(time.Hour)) {
		t.Fatalf("next rotation due %s", due)
	}
	s.Reclassify(dirNow.Add(2 * time.Hour))
	if ts.Verdict.Status != Warn {
		t.Fatalf("13h old: %v", ts.Verdict)
	}
	s.Reclassify(dirNow.Add(14 * time.Hour))
	if ts.Verdict.Status != Crit {
		t.Fatalf("25h old: %v", ts.Verdict)
	}
}

func TestOpaqueMembersAreNotJudgedByName(t *testing.T) {
	s := NewState(poolFleet(t))
	o := healthyObservation("pool-1", dirNow)
	o.Ticket = TicketInfo{Issued: true, Kind: TicketOpaque, Opaque: true}
	s.Apply(dirNow, []Event{poolDir(dirNow), o})
	if v := s.Endpoint("pool-1").Verdict; v.Status != OK {
		t.Fatalf("opaque member: %v", v)
	}
	if m := s.TicketKey("pool-tickets").Pool[0]; m.Kind != TicketOpaque || m.KeyName != "" {
		t.Fatalf("member = %+v", m)
	}
}
