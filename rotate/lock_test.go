package rotate

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCancelledContextEndsTheLockWait: another writer holds the lock (a
// wedged deploy hook); the store would wait 30 s for it, but a caller that
// gives up (the console quitting, a signal) must get control back at once,
// with an error that says why.
func TestCancelledContextEndsTheLockWait(t *testing.T) {
	s := newTestStore(t)
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	mustPublish(t, s, "web", inputsFor(issue(t, "web.example.test")))
	held, err := lockBundle(t.Context(), s.BundleDir("web"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer held.unlock()
	s.LockTimeout = 30 * time.Second

	ops := map[string]func(ctx context.Context) error{
		"publish": func(ctx context.Context) error {
			_, err := s.Publish(ctx, "web", inputsFor(issue(t, "web.example.test")))
			return err
		},
		"rollback": func(ctx context.Context) error { _, err := s.Rollback(ctx, "web", ""); return err },
		"prune":    func(ctx context.Context) error { _, err := s.Prune(ctx, "web"); return err },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			err := op(ctx)
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("%s returned %v after the cancel, not promptly", name, took)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s err = %v, want context.Canceled wrapped", name, err)
			}
		})
	}
	if got := currentTarget(t, s.BundleDir("web")); got != "v0002" {
		t.Fatalf("current -> %s", got)
	}
}
