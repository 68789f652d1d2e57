package ui

import "certdeck/model"

// eventRing is the event log: a bounded ring of changes, so a flapping
// endpoint cannot grow memory without end.
type eventRing struct {
	buf   []model.Change
	start int // index of the oldest entry
	n     int
}

// eventRingSize bounds the event log.
const eventRingSize = 500

func newEventRing(size int) *eventRing { return &eventRing{buf: make([]model.Change, size)} }

// Add appends a change, dropping the oldest when full.
func (r *eventRing) Add(c model.Change) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = c
		r.n++
		return
	}
	r.buf[r.start] = c
	r.start = (r.start + 1) % len(r.buf)
}

// Len is the number of entries held.
func (r *eventRing) Len() int { return r.n }

// At returns entry i, 0 being the oldest held.
func (r *eventRing) At(i int) model.Change { return r.buf[(r.start+i)%len(r.buf)] }

// LastFor returns up to n most recent changes for one subject, newest first.
func (r *eventRing) LastFor(subject string, n int) []model.Change {
	var out []model.Change
	for i := r.n - 1; i >= 0 && len(out) < n; i-- {
		if c := r.At(i); c.Subject == subject {
			out = append(out, c)
		}
	}
	return out
}
