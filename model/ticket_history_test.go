package model

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func historyLine(ep, key string, first, last time.Time) string {
	return string(TicketHistoryRecord{Endpoint: ep, KeyName: key, FirstSeen: first, LastSeen: last}.Line())
}

func TestDecodeTicketHistoryMergesAndSkipsTornLines(t *testing.T) {
	t0 := dirNow.Add(-72 * time.Hour)
	data := historyLine("edge-1", curName, t0, t0.Add(time.Hour)) +
		historyLine("edge-1", curName, t0.Add(time.Hour), t0.Add(5*time.Hour)) + // a later append for the same key
		"not json\n" +
		historyLine("edge-1", "XYZ", t0, t0) + // not a key name
		historyLine("edge-2", nextName, t0.Add(2*time.Hour), t0.Add(3*time.Hour)) +
		historyLine("edge-2", prevName, t0, t0)[:40] // torn by a crash mid-append
	h, bad := DecodeTicketHistory([]byte(data))
	if bad != 3 {
		t.Errorf("skipped %d lines, want 3 (garbage, a bad key, the torn last line)", bad)
	}
	e1 := h["edge-1"]
	if len(e1) != 1 || !e1[0].FirstSeen.Equal(t0) || !e1[0].LastSeen.Equal(t0.Add(5*time.Hour)) {
		t.Fatalf("edge-1 = %+v, want first seen %s and last seen 5h later, merged", e1, t0)
	}
	if len(h["edge-2"]) != 1 || h["edge-2"][0].KeyName != nextName {
		t.Fatalf("edge-2 = %+v", h["edge-2"])
	}
	// An unterminated last line is dropped even when it parses: its end
	// may be missing.
	whole := historyLine("edge-3", curName, t0, t0)
	if h, bad := DecodeTicketHistory([]byte(strings.TrimSuffix(whole, "\n"))); len(h) != 0 || bad != 1 {
		t.Fatalf("unterminated line kept: %v", h)
	}
}

func TestTicketHistoryIsBounded(t *testing.T) {
	h := TicketHistory{}
	for i := range 40 {
		at := dirNow.Add(time.Duration(i) * time.Hour)
		h.Merge("edge", TicketSighting{KeyName: fmt.Sprintf("%032x", i), FirstSeen: at, LastSeen: at})
	}
	list := h["edge"]
	if len(list) != sightingLimit {
		t.Fatalf("%d sightings kept, want %d", len(list), sightingLimit)
	}
	if list[len(list)-1].KeyName != fmt.Sprintf("%032x", 39) || list[0].KeyName != fmt.Sprintf("%032x", 40-sightingLimit) {
		t.Fatalf("kept %s..%s, want the most recently seen", list[0].KeyName, list[len(list)-1].KeyName)
	}
}

func TestSeededHistoryMakesAgesSurviveRestarts(t *testing.T) {
	f := poolFleet(t)
	day := 24 * time.Hour
	s := NewState(f)
	s.SeedTicketHistory(TicketHistory{
		"pool-1":  {{KeyName: prevName, FirstSeen: dirNow.Add(-3 * day), LastSeen: dirNow.Add(-day)}, {KeyName: curName, FirstSeen: dirNow.Add(-day), LastSeen: dirNow.Add(-time.Hour)}},
		"unknown": {{KeyName: curName, FirstSeen: dirNow, LastSeen: dirNow}},
	})
	changes := s.Apply(dirNow, []Event{namedObs("pool-1", curName, dirNow)})
	for _, c := range changes {
		if c.Kind == ChangeTicketKey {
			t.Fatalf("a key seen before the restart is reported as new: %+v", c)
		}
	}
	if _, age, _ := s.Endpoint("pool-1").TicketAge(dirNow); age != day {
		t.Fatalf("age %s, want a day (seen since the earlier run)", age)
	}
	if got := s.Endpoint("pool-1").Tickets; len(got) != 2 || got[0].KeyName != prevName {
		t.Fatalf("sightings = %+v, oldest first", got)
	}
	// A new name after the restart is a change, against the last one seen.
	changes = s.Apply(dirNow, []Event{namedObs("pool-1", nextName, dirNow)})
	if len(changes) == 0 || !strings.Contains(changes[0].Message, "ticket key "+ShortKeyName(nextName)+" replaces "+ShortKeyName(curName)) {
		t.Fatalf("changes %+v", changes)
	}
}

func FuzzDecodeTicketHistory(f *testing.F) {
	f.Add([]byte(historyLine("e", curName, dirNow, dirNow) + "{\"endpoint\":\"e\""))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, _ := DecodeTicketHistory(data)
		for ep, list := range h {
			if len(list) > sightingLimit {
				t.Fatalf("%s holds %d sightings", ep, len(list))
			}
			for _, s := range list {
				if !ValidKeyName(s.KeyName) || s.LastSeen.Before(s.FirstSeen) {
					t.Fatalf("accepted %+v", s)
				}
			}
		}
		// What a compaction writes reads back the same.
		var out strings.Builder
		for _, r := range h.Records() {
			out.Write(r.Line())
		}
		back, bad := DecodeTicketHistory([]byte(out.String()))
		if bad != 0 || len(back.Records()) != len(h.Records()) {
			t.Fatalf("compacted history does not read back: %d bad", bad)
		}
	})
}
