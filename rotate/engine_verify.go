package rotate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"certdeck/model"
)

// Verifier learns which certificate an endpoint serves right now. probe
// implements it (rotate cannot import probe): the console's Scheduler
// through its work queue, so a verification probe never overlaps a
// scheduled probe of the same endpoint, and a plain prober for the CLI.
type Verifier interface {
	// ServedSerial probes endpoint (a configured endpoint name) once,
	// now, and returns the leaf serial it presented (model.SerialHex
	// form), or why none was seen. It returns by ctx's end.
	ServedSerial(ctx context.Context, endpoint string) (serial string, err error)
}

// VerifyTarget is one endpoint to verify and the serial it should serve.
type VerifyTarget struct {
	Endpoint string `json:"endpoint"`
	Address  string `json:"address,omitempty"` // as configured, for display
	// Want is the serial to wait for; "" accepts any certificate (an
	// endpoint no bundle serves: the reload only has to leave it up).
	Want string `json:"want,omitempty"`
	// oneLook: the endpoint's reload failed, so it most likely still
	// serves what it served before; one probe says what, and only one
	// that shows Want is followed by the usual confirmations. Waiting
	// the whole timeout for a serial that a failed reload did not load
	// would only delay what follows (a rollback, the result).
	oneLook bool
}

// Verification states of one endpoint.
const (
	EndpointVerified     = "verified"      // serves Want
	EndpointStillServing = "still-serving" // answered, with another serial (Serial), until the timeout
	EndpointProbeError   = "error"         // the last probe failed (Error); Serial is the last one seen
)

// VerifyResult is one endpoint's verification.
type VerifyResult struct {
	Endpoint string `json:"endpoint"`
	State    string `json:"state"`
	// Serial is the last serial the endpoint served ("" when no probe
	// got one).
	Serial   string `json:"serial,omitempty"`
	Want     string `json:"want,omitempty"`
	Error    string `json:"error,omitempty"`
	Attempts int    `json:"attempts"`
	// Elapsed is written as elapsed_ms, whole milliseconds (verify_json.go).
	Elapsed time.Duration `json:"elapsed_ms"`
}

// Describe is the endpoint's line in the CLI and the event log:
// "web-1: verified 03a4…", "web-2: still serving 01ff… (want 03a4…)",
// "web-3: error: connection refused". Unsanitised.
func (v VerifyResult) Describe() string {
	switch v.State {
	case EndpointVerified:
		if v.Want == "" {
			return fmt.Sprintf("%s: verified: answers, serving %s (no bundle serves it: any certificate will do)", v.Endpoint, v.Serial)
		}
		return fmt.Sprintf("%s: verified: serves %s (%d %s, %s)", v.Endpoint, v.Serial, v.Attempts, plural(v.Attempts, "probe"), formatTook(v.Elapsed))
	case EndpointStillServing:
		return fmt.Sprintf("%s: still serving %s (want %s) after %s", v.Endpoint, v.Serial, v.Want, formatTook(v.Elapsed))
	}
	s := fmt.Sprintf("%s: error: %s", v.Endpoint, v.Error)
	if v.Serial != "" {
		s += fmt.Sprintf(" (last served %s)", v.Serial)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Backoff spaces the probes of one endpoint: Initial after the first,
// doubling up to Max. Servers swap certificates within milliseconds of a
// reload (nginx's new workers, a Reloader's fsnotify), so the first
// retries come quickly; a slow one is not hammered.
type Backoff struct {
	Initial, Max time.Duration
}

// DefaultBackoff is the verification backoff when none is given.
var DefaultBackoff = Backoff{Initial: 50 * time.Millisecond, Max: 2 * time.Second}

// minAttempt is the least time one probe gets, even at the deadline, so
// the last attempt is a real one.
const minAttempt = time.Second

// DefaultConfirm are the waits before the confirmation probes that follow
// the first probe showing the wanted serial: an endpoint is verified only
// when they show it too. One probe is not proof: after `nginx -s reload`
// the old worker goes on accepting new connections for a while (up to
// ~100 ms measured here under load, TestHitlessRotationThroughNginxAndAGoReloader),
// so a probe that reaches the new worker says nothing about the next
// connection. 250 ms of agreeing probes (2.5 times the longest window
// seen) does: a window that outlasts it shows up as an old serial on a
// confirmation, and verification starts over.
var DefaultConfirm = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}

// VerifyOptions tune VerifyServed.
type VerifyOptions struct {
	Timeout time.Duration // 0: model.DefaultVerifyTimeout
	Backoff Backoff       // zero: DefaultBackoff
	// Confirm are the waits before each confirmation probe after the
	// first match (nil: DefaultConfirm; empty non-nil: none).
	Confirm []time.Duration
	// Clock and Sleep measure and wait (nil: time.Now and a timer); tests
	// pass a fake pair so a 30-second timeout takes no time.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// VerifyServed probes every target, concurrently, with backoff until it
// serves its wanted serial or the timeout passes, and returns one result
// per target in the targets' order. report, when set, is called after
// every probe (serialised), with the number verified so far.
func VerifyServed(ctx context.Context, v Verifier, targets []VerifyTarget, opt VerifyOptions, report func(r VerifyResult, final bool, done int)) []VerifyResult {
	opt = opt.withDefaults()
	out := make([]VerifyResult, len(targets))
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			out[i] = verifyOne(ctx, v, t, opt, func(r VerifyResult, final bool) {
				if report == nil {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if final && r.State == EndpointVerified {
					done++
				}
				report(r, final, done)
			})
		})
	}
	wg.Wait()
	return out
}

func verifyOne(ctx context.Context, v Verifier, t VerifyTarget, opt VerifyOptions, report func(VerifyResult, bool)) VerifyResult {
	start := opt.Clock()
	deadline := start.Add(opt.Timeout)
	r := VerifyResult{Endpoint: t.Endpoint, Want: t.Want}
	wait := opt.Backoff.Initial
	confirmed := -1 // confirmation probes passed since the last match began; -1: not matching
	flapped := ""   // another serial seen after the wanted one was: both are reachable
	for {
		attempt := max(deadline.Sub(opt.Clock()), minAttempt)
		actx, cancel := context.WithTimeout(ctx, attempt)
		serial, err := servedSerialFor(actx, v, t.Endpoint, t.Want)
		cancel()
		r.Attempts++
		r.Elapsed = opt.Clock().Sub(start)
		matched := err == nil && (t.Want == "" || serial == t.Want)
		switch {
		case matched:
			r.Serial, r.Error, r.State = serial, "", EndpointVerified
			confirmed++
		case err == nil:
			r.Serial, r.Error, r.State = serial, "", EndpointStillServing
		default:
			r.State, r.Error = EndpointProbeError, err.Error()
		}
		if !matched {
			if confirmed >= 0 && err == nil {
				flapped = serial // the old certificate is still reachable: start over
			}
			confirmed = -1
		}
		if matched && confirmed >= len(opt.Confirm) {
			report(r, true)
			return r
		}
		if t.oneLook && !matched {
			break
		}
		if ctx.Err() != nil {
			r.State, r.Error = EndpointProbeError, "verification cancelled: "+ctx.Err().Error()
			break
		}
		left := deadline.Sub(opt.Clock())
		if left <= 0 {
			// A match whose confirmations the timeout cut short stands
			// unless the endpoint has been seen serving another serial
			// after the wanted one: then both are being served.
			if matched && flapped != "" {
				r.State, r.Serial = EndpointStillServing, flapped
			}
			break
		}
		report(r, false)
		next := wait
		if matched {
			next = opt.Confirm[confirmed]
		}
		if err := opt.Sleep(ctx, min(next, left)); err != nil {
			r.State, r.Error = EndpointProbeError, "verification cancelled: "+err.Error()
			break
		}
		if !matched {
			wait = min(wait*2, opt.Backoff.Max)
		}
	}
	report(r, true)
	return r
}

func (o VerifyOptions) withDefaults() VerifyOptions {
	if o.Timeout <= 0 {
		o.Timeout = model.DefaultVerifyTimeout
	}
	if o.Backoff.Initial <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Backoff.Max < o.Backoff.Initial {
		o.Backoff.Max = o.Backoff.Initial
	}
	if o.Confirm == nil {
		o.Confirm = DefaultConfirm
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	return o
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
