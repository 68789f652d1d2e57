package ui

import (
	"testing"
	"time"

	"certdeck/model"
)

func TestRelayCoalescesABurstIntoOneBatch(t *testing.T) {
	ch := make(chan model.Event, 200)
	for i := 0; i < 150; i++ {
		ch <- model.ProbeStarted{Endpoint: "e"}
	}
	start := time.Now()
	msg := relay(ch, nil)()
	batch, ok := msg.(eventsMsg)
	if !ok {
		t.Fatalf("relay returned %T", msg)
	}
	if len(batch.events) != 150 {
		t.Fatalf("batch of %d events, want all 150", len(batch.events))
	}
	// The window is 50 ms; allow scheduling slack under -race.
	if d := time.Since(start); d > time.Second {
		t.Fatalf("relay held the batch for %s", d)
	}
}

func TestRelayWaitsOnlyUntilTheWindowCloses(t *testing.T) {
	ch := make(chan model.Event)
	go func() {
		ch <- model.ProbeStarted{Endpoint: "first"}
		time.Sleep(300 * time.Millisecond) // after the window
		ch <- model.ProbeStarted{Endpoint: "late"}
	}()
	batch := relay(ch, nil)().(eventsMsg)
	if len(batch.events) != 1 {
		t.Fatalf("first batch has %d events, want 1 (the late one belongs to the next)", len(batch.events))
	}
	if next := relay(ch, nil)().(eventsMsg); next.events[0].(model.ProbeStarted).Endpoint != "late" {
		t.Fatal("late event lost")
	}
}

func TestRelayStopsWhenChannelClosesOrDone(t *testing.T) {
	ch := make(chan model.Event)
	close(ch)
	if _, ok := relay(ch, nil)().(relayClosedMsg); !ok {
		t.Fatal("closed channel did not end the relay")
	}
	done := make(chan struct{})
	close(done)
	if _, ok := relay(make(chan model.Event), done)().(relayClosedMsg); !ok {
		t.Fatal("done did not end the relay")
	}
}
