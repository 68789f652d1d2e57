package ui

import (
	"cmp"
	"strings"
	"time"

	"certdeck/model"
)

// sortKey is a column the fleet can be ordered by; `s` cycles them.
type sortKey int

const (
	sortStatus sortKey = iota // worst first, then fewest days left (the default)
	sortLeft                  // fewest days left first
	sortName
	sortAddress
	sortLatency
	numSortKeys
)

var sortNames = [...]string{sortStatus: "status", sortLeft: "left", sortName: "name", sortAddress: "address", sortLatency: "latency"}

func (k sortKey) String() string { return sortNames[k] }

// rowKey holds an endpoint's sort keys, computed once per refresh.
type rowKey struct {
	es       *model.EndpointState
	status   model.Status
	hasLeaf  bool
	days     int
	notAfter time.Time
	latency  time.Duration
}

func newRowKey(es *model.EndpointState, now time.Time) rowKey {
	k := rowKey{es: es, status: es.Verdict.Status, latency: latencyOf(es)}
	if leaf := es.Last.Leaf(); leaf != nil {
		k.hasLeaf, k.notAfter = true, leaf.NotAfter
		k.days = model.DaysLeft(leaf.NotAfter, now)
	}
	return k
}

// worstFirst is model.LessWorstFirst over precomputed keys: status worst
// first, then fewest days left (no certificate last), then name.
func worstFirst(a, b *rowKey) int {
	if a.status != b.status {
		return cmp.Compare(b.status, a.status)
	}
	if a.hasLeaf != b.hasLeaf {
		if a.hasLeaf {
			return -1
		}
		return 1
	}
	if a.hasLeaf && a.days != b.days {
		return cmp.Compare(a.days, b.days)
	}
	return strings.Compare(a.es.Endpoint.Name, b.es.Endpoint.Name)
}

// compare orders two rows by k; ties fall back to the default order so
// rows never jump between refreshes with equal keys.
func (k sortKey) compare(a, b *rowKey) int {
	switch k {
	case sortLeft:
		switch {
		case a.hasLeaf && !b.hasLeaf:
			return -1
		case !a.hasLeaf && b.hasLeaf:
			return 1
		case a.hasLeaf && b.hasLeaf:
			if c := a.notAfter.Compare(b.notAfter); c != 0 {
				return c
			}
		}
	case sortName:
		if c := strings.Compare(a.es.Endpoint.Name, b.es.Endpoint.Name); c != 0 {
			return c
		}
	case sortAddress:
		if c := strings.Compare(a.es.Endpoint.Address, b.es.Endpoint.Address); c != 0 {
			return c
		}
	case sortLatency:
		if c := cmp.Compare(a.latency, b.latency); c != 0 {
			return c
		}
	}
	return worstFirst(a, b)
}

// latencyOf sorts endpoints with no measurement last.
func latencyOf(es *model.EndpointState) time.Duration {
	if es.Last == nil || es.Last.Latency <= 0 {
		return 1<<63 - 1
	}
	return es.Last.Latency
}
