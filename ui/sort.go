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

// less orders two endpoints by k; ties fall back to the default order so
// rows never jump between refreshes with equal keys.
func (k sortKey) less(a, b *model.EndpointState, now time.Time) int {
	switch k {
	case sortLeft:
		la, lb := a.Last.Leaf(), b.Last.Leaf()
		switch {
		case la != nil && lb == nil:
			return -1
		case la == nil && lb != nil:
			return 1
		case la != nil && lb != nil:
			if c := la.NotAfter.Compare(lb.NotAfter); c != 0 {
				return c
			}
		}
	case sortName:
		if c := strings.Compare(a.Endpoint.Name, b.Endpoint.Name); c != 0 {
			return c
		}
	case sortAddress:
		if c := strings.Compare(a.Endpoint.Address, b.Endpoint.Address); c != 0 {
			return c
		}
	case sortLatency:
		if c := cmp.Compare(latencyOf(a), latencyOf(b)); c != 0 {
			return c
		}
	}
	if model.LessWorstFirst(a, b, now) {
		return -1
	}
	if model.LessWorstFirst(b, a, now) {
		return 1
	}
	return 0
}

// latencyOf sorts endpoints with no measurement last.
func latencyOf(es *model.EndpointState) time.Duration {
	if es.Last == nil || es.Last.Latency <= 0 {
		return 1<<63 - 1
	}
	return es.Last.Latency
}
