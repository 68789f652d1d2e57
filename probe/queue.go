package probe

import (
	"context"
	"sync"
)

// queue is the scheduler's work list: endpoint names waiting for a worker,
// each at most once, plus the names being probed right now. It never
// blocks a producer, so Trigger can be called from a UI's Update.
type queue struct {
	mu     sync.Mutex
	order  []string
	queued map[string]bool
	busy   map[string]bool
	// again marks busy endpoints that were triggered while in flight: the
	// running probe may predate a reload, so they are probed once more
	// after it finishes; true means ahead of the queue (addFirst).
	again map[string]bool
	ready chan struct{} // capacity 1: "the queue may have work"
}

func newQueue() *queue {
	return &queue{
		queued: map[string]bool{}, busy: map[string]bool{}, again: map[string]bool{},
		ready: make(chan struct{}, 1),
	}
}

// add queues names not already waiting. With force, a name being probed is
// probed again when its current probe ends; without (periodic rounds), a
// slow endpoint still in flight is simply skipped this round.
func (q *queue) add(force bool, names ...string) {
	q.mu.Lock()
	added := false
	for _, n := range names {
		switch {
		case q.queued[n]:
		case q.busy[n]:
			if _, set := q.again[n]; force && !set {
				q.again[n] = false // probed again afterwards, in turn
			}
		default:
			q.order = append(q.order, n)
			q.queued[n] = true
			added = true
		}
	}
	q.mu.Unlock()
	if added {
		q.signal()
	}
}

// addFirst queues names ahead of everything waiting: a verification probe
// after a reload, or an operator's r, must not wait behind a round of
// 10,000 scheduled probes. A name already waiting moves to the front; a
// name being probed is probed again, first, when its probe ends (that
// probe may predate the reload).
func (q *queue) addFirst(names ...string) {
	q.mu.Lock()
	front := make([]string, 0, len(names))
	for _, n := range names {
		switch {
		case q.busy[n]:
			q.again[n] = true
		case q.queued[n]:
			q.order = removeName(q.order, n)
			front = append(front, n)
		default:
			q.queued[n] = true
			front = append(front, n)
		}
	}
	if len(front) > 0 {
		q.order = append(front, q.order...)
	}
	q.mu.Unlock()
	if len(front) > 0 {
		q.signal()
	}
}

// removeName drops n from order (where it is once at most).
func removeName(order []string, n string) []string {
	for i, v := range order {
		if v == n {
			return append(order[:i:i], order[i+1:]...)
		}
	}
	return order
}

// take waits for a name to probe, marking it busy; ok is false once ctx is
// done.
func (q *queue) take(ctx context.Context) (name string, ok bool) {
	for {
		q.mu.Lock()
		if len(q.order) > 0 {
			name = q.order[0]
			q.order[0] = ""
			q.order = q.order[1:]
			delete(q.queued, name)
			q.busy[name] = true
			more := len(q.order) > 0
			q.mu.Unlock()
			if more {
				q.signal() // wake the next idle worker
			}
			return name, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return "", false
		case <-q.ready:
		}
	}
}

// done marks name finished and requeues it when it was triggered meanwhile.
func (q *queue) done(name string) {
	q.mu.Lock()
	delete(q.busy, name)
	urgent, requeue := q.again[name]
	delete(q.again, name)
	q.mu.Unlock()
	switch {
	case requeue && urgent:
		q.addFirst(name)
	case requeue:
		q.add(false, name)
	}
}

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
