package demo

import (
	"context"
	"testing"
	"time"

	"certdeck/model"
)

// startDemo starts the demo fleet for one test, bounded by timeout; its
// servers and temp dir go when the test ends (before its context).
func startDemo(t *testing.T, timeout time.Duration) (context.Context, *model.Fleet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	fleet, cleanup, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return ctx, fleet
}
