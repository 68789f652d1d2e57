package probe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/model"
)

func keyName(i int) string { return fmt.Sprintf("%032x", i) }

func namedObservation(ep, key string, at time.Time) *model.Observation {
	return &model.Observation{Endpoint: ep, Time: at, Chain: []model.CertInfo{{Serial: "01"}},
		Ticket: model.TicketInfo{Issued: true, Kind: model.TicketNamed, KeyName: key}}
}

func TestTicketHistorySurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", TicketHistoryName)
	h, err := OpenTicketHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 12 { // a probe a minute for 12 minutes, same key
		if err := h.Record(namedObservation("edge-1", keyName(1), t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	h.Record(namedObservation("edge-2", keyName(2), t0))
	data, _ := os.ReadFile(path)
	// The first sighting, the one ten minutes later, edge-2: three lines,
	// not one per probe.
	if n := strings.Count(string(data), "\n"); n != 3 {
		t.Fatalf("%d lines written, want 3:\n%s", n, data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("history mode %v", st.Mode().Perm())
	}
	again, err := OpenTicketHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	s := again.Sightings()["edge-1"]
	if len(s) != 1 || !s[0].FirstSeen.Equal(t0) || !s[0].LastSeen.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("edge-1 after reopen: %+v", s)
	}
}

func TestTicketHistoryTornLineIsSkippedAndNotGluedTo(t *testing.T) {
	path := filepath.Join(t.TempDir(), TicketHistoryName)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	good := model.TicketHistoryRecord{Endpoint: "edge-1", KeyName: keyName(1), FirstSeen: t0, LastSeen: t0}.Line()
	torn := model.TicketHistoryRecord{Endpoint: "edge-2", KeyName: keyName(2), FirstSeen: t0, LastSeen: t0}.Line()
	os.WriteFile(path, append(good, torn[:30]...), 0o600) // a crash mid-append
	h, err := OpenTicketHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Skipped() != 1 || len(h.Sightings()) != 1 {
		t.Fatalf("skipped %d, sightings %v", h.Skipped(), h.Sightings())
	}
	if err := h.Record(namedObservation("edge-3", keyName(3), t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	back, _ := OpenTicketHistory(path)
	if back.Skipped() != 0 || len(back.Sightings()) != 2 || back.Sightings()["edge-3"] == nil {
		t.Fatalf("after the next append: skipped %d, %v; the new line must not be glued to the torn one", back.Skipped(), back.Sightings())
	}
}

// TestTicketHistoryStaysBoundedAndLosesNothingToAnotherWriter: two
// histories on one file (a console and a cron check). One writes each of
// its sightings once, while the other appends thousands of lines and so
// compacts again and again: the file stays bounded, and no compaction
// drops the first writer's lines (each re-reads the file under the lock).
func TestTicketHistoryStaysBoundedAndLosesNothingToAnotherWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), TicketHistoryName)
	busy, _ := OpenTicketHistory(path)
	once, _ := OpenTicketHistory(path)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 6000 {
			// 20 endpoints, each seen again every 11 minutes: every
			// record is a line.
			at := t0.Add(time.Duration(i/20) * 11 * time.Minute)
			if err := busy.Record(namedObservation(fmt.Sprintf("busy-%d", i%20), keyName(1), at)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for e := range 20 {
			if err := once.Record(namedObservation(fmt.Sprintf("once-%d", e), keyName(2), t0)); err != nil {
				t.Error(err)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()
	data, _ := os.ReadFile(path)
	lines := strings.Count(string(data), "\n")
	if lines > 2*40+historySlack+1 {
		t.Fatalf("%d lines for 40 sightings: compaction did not bound the file", lines)
	}
	final, _ := OpenTicketHistory(path)
	got := final.Sightings()
	for e := range 20 {
		if s := got[fmt.Sprintf("once-%d", e)]; len(s) != 1 || !s[0].FirstSeen.Equal(t0) {
			t.Fatalf("once-%d = %+v: the other writer's compaction lost it", e, s)
		}
		if s := got[fmt.Sprintf("busy-%d", e)]; len(s) != 1 || !s[0].FirstSeen.Equal(t0) {
			t.Fatalf("busy-%d = %+v", e, s)
		}
	}
	t.Logf("6,020 records from two writers: %d lines (%d bytes) on disk", lines, len(data))
}

func TestTicketHistoryIgnoresWhatNamesNoKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), TicketHistoryName)
	h, _ := OpenTicketHistory(path)
	t0 := time.Now()
	opaque := namedObservation("go", "", t0)
	opaque.Ticket = model.TicketInfo{Issued: true, Kind: model.TicketOpaque, Opaque: true, KeyName: keyName(9)}
	failed := namedObservation("down", keyName(1), t0)
	failed.Error = "refused"
	for _, o := range []*model.Observation{opaque, failed, namedObservation("bad", "zz", t0)} {
		h.Record(o)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("recorded an observation that names no key")
	}
}

// A round's sightings are written together: every new name once (a
// repeat in the same round, or in the next within ten minutes, adds no
// line), all of them there after a reopen, the failed and unnamed ones
// left out.
func TestTicketHistoryRecordAllWritesARoundOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", TicketHistoryName)
	h, err := OpenTicketHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	round := func(at time.Time) []*model.Observation {
		var obs []*model.Observation
		for i := range 500 {
			obs = append(obs, namedObservation(fmt.Sprintf("ep%03d", i), keyName(i%7), at))
		}
		obs = append(obs, namedObservation("ep000", keyName(0), at.Add(time.Second)))                            // the same sighting again
		obs = append(obs, &model.Observation{Endpoint: "down", Time: at, ErrKind: model.ErrRefused, Error: "x"}) // no ticket
		return obs
	}
	if err := h.RecordAll(round(t0)); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != 500 {
		t.Fatalf("%d lines after the first round, want 500", n)
	}
	if err := h.RecordAll(round(t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); len(again) != len(data) {
		t.Fatalf("a round a minute later wrote %d bytes, want none", len(again)-len(data))
	}
	reopened, err := OpenTicketHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	got := reopened.Sightings()
	if len(got) != 500 {
		t.Fatalf("%d endpoints after reopen, want 500", len(got))
	}
	if s := got["ep123"]; len(s) != 1 || s[0].KeyName != keyName(123%7) || !s[0].FirstSeen.Equal(t0) {
		t.Fatalf("ep123 after reopen: %+v", s)
	}
}
