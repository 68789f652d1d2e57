package ui

import (
	"testing"
	"time"

	"certdeck/rotate"
)

// TestProgressRelayNeverBlocksTheEngine: with nobody reading, reports
// return at once; the next wait returns, and a rollback leg once
// reported stays known until the action is forgotten.
func TestProgressRelayNeverBlocksTheEngine(t *testing.T) {
	r := newProgressRelay()
	report := r.reporter(rotate.KindPublish)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10_000 {
			report(rotate.Progress{Subject: "app", Target: "app1", Phase: rotate.PhaseVerifying, Done: i % 2, Total: 2})
			if i == 5000 {
				report(rotate.Progress{Subject: "app", Phase: rotate.PhaseRollingBack})
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("report blocked with no reader")
	}
	if _, ok := r.wait(nil)().(progressMsg); !ok {
		t.Fatal("wait did not return the reports' wake-up")
	}
	key := actionKey(rotate.KindPublish, "app")
	if r.rollback(key) == nil {
		t.Fatal("the rollback leg was lost among later reports")
	}
	r.forget(key)
	if r.rollback(key) != nil {
		t.Fatal("forget kept the rollback leg")
	}
}
