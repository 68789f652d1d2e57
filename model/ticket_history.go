package model

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// TicketHistory is every ticket key name seen per endpoint, with when it
// was first and last seen, as kept across runs (probe.TicketHistoryFile
// stores it under $XDG_STATE_HOME/certdeck). With it, a key's age in the
// console and in `check` means "seen since", not "since certdeck started",
// and a server whose key never rotates is noticed by a daily cron check.
type TicketHistory map[string][]TicketSighting

// TicketHistoryRecord is one line of the history file: one sighting.
type TicketHistoryRecord struct {
	Endpoint  string    `json:"endpoint"`
	KeyName   string    `json:"key"`
	FirstSeen time.Time `json:"first"`
	LastSeen  time.Time `json:"last"`
}

// MaxTicketHistoryRecords bounds what a history holds (and so its file,
// about 130 bytes a record): the oldest sightings go first.
const MaxTicketHistoryRecords = 20000

// Line is the record as one line of the file, newline included.
func (r TicketHistoryRecord) Line() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings and times: cannot fail
	}
	return append(b, '\n')
}

// DecodeTicketHistory reads a history file. Records are merged per
// endpoint and key (earliest first seen, latest last seen). A line that
// does not parse or names no valid key is skipped and counted in bad: the
// last line may be torn by a crash in the middle of an append. An
// unterminated last line is always skipped, even when it happens to
// parse, because its end may be missing.
func DecodeTicketHistory(data []byte) (h TicketHistory, bad int) {
	h = TicketHistory{}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			bad++ // torn last line
			break
		}
		line := bytes.TrimSpace(data[:i])
		data = data[i+1:]
		if len(line) == 0 {
			continue
		}
		var r TicketHistoryRecord
		if json.Unmarshal(line, &r) != nil || r.Endpoint == "" || !ValidKeyName(r.KeyName) ||
			r.FirstSeen.IsZero() || r.LastSeen.Before(r.FirstSeen) {
			bad++
			continue
		}
		h.Merge(r.Endpoint, TicketSighting{KeyName: r.KeyName, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen})
	}
	h.bound()
	return h, bad
}

// Merge adds one sighting: the earliest first seen and the latest last
// seen win. Sightings stay ordered by first seen, at most sightingLimit
// per endpoint (the most recently seen are kept).
func (h TicketHistory) Merge(endpoint string, s TicketSighting) {
	list := h[endpoint]
	for i := range list {
		if list[i].KeyName == s.KeyName {
			if s.FirstSeen.Before(list[i].FirstSeen) {
				list[i].FirstSeen = s.FirstSeen
			}
			if s.LastSeen.After(list[i].LastSeen) {
				list[i].LastSeen = s.LastSeen
			}
			h[endpoint] = sortSightings(list)
			return
		}
	}
	list = sortSightings(append(list, s))
	if len(list) > sightingLimit {
		// Drop the least recently seen.
		slices.SortStableFunc(list, func(a, b TicketSighting) int { return b.LastSeen.Compare(a.LastSeen) })
		list = sortSightings(list[:sightingLimit])
	}
	h[endpoint] = list
}

func sortSightings(list []TicketSighting) []TicketSighting {
	slices.SortStableFunc(list, func(a, b TicketSighting) int { return a.FirstSeen.Compare(b.FirstSeen) })
	return list
}

// Records lists every sighting as records, ordered by endpoint then first
// seen: what a compaction writes.
func (h TicketHistory) Records() []TicketHistoryRecord {
	var out []TicketHistoryRecord
	for ep, list := range h {
		for _, s := range list {
			out = append(out, TicketHistoryRecord{Endpoint: ep, KeyName: s.KeyName, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen})
		}
	}
	slices.SortFunc(out, func(a, b TicketHistoryRecord) int {
		if c := strings.Compare(a.Endpoint, b.Endpoint); c != 0 {
			return c
		}
		return a.FirstSeen.Compare(b.FirstSeen)
	})
	return out
}

// bound drops the least recently seen sightings beyond
// MaxTicketHistoryRecords.
func (h TicketHistory) bound() {
	recs := h.Records()
	if len(recs) <= MaxTicketHistoryRecords {
		return
	}
	slices.SortStableFunc(recs, func(a, b TicketHistoryRecord) int { return b.LastSeen.Compare(a.LastSeen) })
	clear(h)
	for _, r := range recs[:MaxTicketHistoryRecords] {
		h.Merge(r.Endpoint, TicketSighting{KeyName: r.KeyName, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen})
	}
}

// SeedTicketHistory gives endpoints the sightings of earlier runs, before
// any observation: a key seen yesterday is a day old, not new. Call it
// before the first Apply; endpoints not in the fleet are ignored.
func (s *State) SeedTicketHistory(h TicketHistory) {
	for name, list := range h {
		es := s.byName[name]
		if es == nil {
			continue
		}
		merged := TicketHistory{name: slices.Clone(es.Tickets)}
		for _, sg := range list {
			merged.Merge(name, sg)
		}
		es.Tickets = merged[name]
	}
}
