package probe

import (
	"context"
	"testing"
	"time"

	"certdeck/model"
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

func TestJitterStaysWithinItsFraction(t *testing.T) {
	f := testFleet(time.Minute, 1)
	s, err := NewScheduler(f, Options{Events: make(chan model.Event), Jitter: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := s.nextInterval()
		if d < 54*time.Second || d > 66*time.Second {
			t.Fatalf("interval %v outside 60s ± 10%%", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct intervals in 1000: no jitter", len(seen))
	}
	s, _ = NewScheduler(f, Options{Events: make(chan model.Event), Jitter: -1})
	if d := s.nextInterval(); d != time.Minute {
		t.Fatalf("jitter disabled: interval %v, want exactly 1m", d)
	}
}
