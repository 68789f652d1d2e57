package probe

import (
	"context"
	"testing"
	"time"
)

func TestQueueRunsTriggeredInFlightEndpointAgain(t *testing.T) {
	q := newQueue()
	ctx := context.Background()
	q.add(false, "a", "b")
	q.add(false, "a") // already queued: no duplicate
	if n, _ := q.take(ctx); n != "a" {
		t.Fatalf("took %q, want a", n)
	}
	q.add(false, "a") // periodic round while a is in flight: skipped
	q.add(true, "a")  // trigger while in flight: run again afterwards
	q.add(true, "a")  // a second trigger collapses into the first
	if n, _ := q.take(ctx); n != "b" {
		t.Fatalf("took %q, want b", n)
	}
	q.done("a")
	if n, _ := q.take(ctx); n != "a" {
		t.Fatalf("took %q, want a re-run after its in-flight probe", n)
	}
	q.done("a")
	q.done("b")
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if n, ok := q.take(short); ok {
		t.Fatalf("took %q from a queue that should be empty", n)
	}
}

// A verification probe (or an operator's r) jumps the queue: it must not
// wait behind a round of scheduled probes, and a probe of the same
// endpoint already in flight is followed by another one first.
func TestQueueAddFirstJumpsAheadOfTheRound(t *testing.T) {
	q := newQueue()
	ctx := context.Background()
	q.add(false, "a", "b", "c", "d")
	q.addFirst("c", "z") // c was waiting: it moves; z is new
	for _, want := range []string{"c", "z", "a"} {
		if n, _ := q.take(ctx); n != want {
			t.Fatalf("took %q, want %q", n, want)
		}
	}
	// a is in flight: a trigger now re-runs it ahead of b and d.
	q.addFirst("a")
	q.add(true, "a") // a plain trigger does not demote it
	q.done("a")
	if n, _ := q.take(ctx); n != "a" {
		t.Fatalf("took %q, want a, re-run first after its in-flight probe", n)
	}
	for _, want := range []string{"b", "d"} {
		if n, _ := q.take(ctx); n != want {
			t.Fatalf("took %q, want %q", n, want)
		}
	}
}
