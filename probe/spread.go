package probe

import (
	"container/heap"
	"hash/fnv"
	"time"
)

// The scheduler spreads probes over the interval instead of probing the
// whole fleet at once every interval: each endpoint has its own phase in
// the interval (a hash of its name, shifted by an offset drawn once per
// scheduler so two certdecks watching one fleet do not probe in step), and
// is probed once per interval at that phase. A fleet of 10,000 endpoints
// probed every minute is then about 170 probes a second, not a burst of
// 10,000 at the top of each minute. After a probe, the next one is the
// first slot of the endpoint's phase at least half an interval later, so
// the change from the first round (everything at once) to the spread
// never leaves an endpoint unprobed for more than one and a half
// intervals (the console calls data older than two stale).
//
// An endpoint that keeps failing backs off exponentially: after its n-th
// failure in a row (n ≥ 2) the next try is 2^(n-1) intervals later, at
// most maxBackoff (an hour, or the interval when that is longer). A
// manual re-probe (Trigger) always runs at once.

// phaseOf is name's phase: an offset in [0, interval).
func phaseOf(name string, offset, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(name))
	return time.Duration((h.Sum64() + uint64(offset)) % uint64(interval))
}

// nextSlot is the first time epoch+phase+k*interval (k any integer) at
// or after t.
func nextSlot(t, epoch time.Time, phase, interval time.Duration) time.Time {
	first := epoch.Add(phase)
	d := t.Sub(first)
	k := d / interval // toward zero: the ceiling for d <= 0
	if d > 0 && d%interval != 0 {
		k++
	}
	return first.Add(k * interval)
}

// backoffAfter is how long to wait before the next try after the n-th
// failure in a row: one interval after the first, then doubling, at most
// maxBackoff(interval).
func backoffAfter(failures int, interval time.Duration) time.Duration {
	limit := maxBackoff(interval)
	d := interval
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func maxBackoff(interval time.Duration) time.Duration { return max(time.Hour, interval) }

// dueItem is one endpoint's next periodic probe.
type dueItem struct {
	at   time.Time
	name string
}

// dueHeap orders pending probes by time. Entries are not removed when an
// endpoint is rescheduled: the scheduler's due map says which entry is
// current, and stale ones are dropped when they surface.
type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

var _ heap.Interface = (*dueHeap)(nil)
