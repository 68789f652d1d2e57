package rotate

import (
	"context"
	"time"
)

// Action is one thing certdeck does to the world: a publish, a rollback,
// a reload, a prune (and the ticket-key rotation to come). The console's
// keys and command line, the CLI and the demo all get their Actions from
// an Engine and run them the same way:
//
//	a, err := engine.Reload("web")       // resolves names; no I/O
//	plan, err := a.Plan(ctx)              // exactly what Run would do; changes nothing
//	out, err := a.Run(ctx, onProgress)    // does it, verifies, rolls back if configured
//
// Run goes through the engine: refused under --read-only (ErrReadOnly)
// and while another action holds one of the same bundles or endpoints
// (ErrBusy), registered for the console's header while it runs,
// cancelled with ctx, and written as one audit line when it ends.
type Action interface {
	// Plan describes exactly what Run would do: the steps (argv, host and
	// port, socket and command, files), old → new serial, the endpoints
	// it verifies. It reads (the source, the store, the config) but never
	// changes anything, and works in read-only mode (--dry-run and the
	// console's "(y/N)" dialog). A plan whose action would be refused
	// comes back with Refusal set and the refusal as error.
	Plan(ctx context.Context) (Plan, error)
	// Run performs the action and its verification, reporting progress
	// as it goes (progress may be nil; it is called from the goroutine
	// running the action, one call at a time, and must not block). The
	// Outcome is never nil: a refused or failed action has one too,
	// with State saying so; err is nil exactly when State is OutcomeOK.
	Run(ctx context.Context, progress func(Progress)) (*Outcome, error)
}

// Action kinds.
const (
	KindPublish  = "publish"
	KindRollback = "rollback"
	KindReload   = "reload"
	KindPrune    = "prune"
)

// Plan is what an action will do, as the dialog and --dry-run print it
// (Lines). Nothing in it is secret: steps name the variable an HTTP token
// comes from, never the token.
type Plan struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"` // the bundle or endpoint named
	Bundle  string `json:"bundle,omitempty"`
	// Steps are what Run does, in order; verification follows them.
	Steps []Step `json:"steps"`
	// Versions and serials before and after (store actions; a reload
	// names the serial its endpoints should serve as NewSerial).
	OldVersion string `json:"old_version,omitempty"`
	NewVersion string `json:"new_version,omitempty"`
	OldSerial  string `json:"old_serial,omitempty"`
	NewSerial  string `json:"new_serial,omitempty"`
	// Verify names the endpoints probed afterwards until each serves
	// NewSerial, for at most VerifyTimeout.
	Verify        []VerifyTarget `json:"verify,omitempty"`
	VerifyTimeout time.Duration  `json:"verify_timeout,omitempty"`
	// OnVerifyFail is model.OnVerifyFailRollback when a failed
	// verification rolls the store back to RollbackTo (then reloads and
	// verifies that version's serial).
	OnVerifyFail string `json:"on_verify_fail,omitempty"`
	RollbackTo   string `json:"rollback_to,omitempty"`
	// RollbackSkipped lists the versions that rollback passes over
	// because they were rolled back as not verified before.
	RollbackSkipped []string `json:"rollback_skipped,omitempty"`
	// Warnings say what the plan leaves out or cannot promise (an
	// endpoint whose reload this action does not run).
	Warnings []string `json:"warnings,omitempty"`
	// Publish, Rollback and Prune carry the store's own plan: names
	// gained and lost, expiry, versions removed.
	Publish  *PublishPlan  `json:"publish,omitempty"`
	Rollback *RollbackPlan `json:"rollback,omitempty"`
	Prune    *PrunePlan    `json:"prune,omitempty"`
	// Refusal is why Run would refuse (also returned as Plan's error).
	Refusal *Refusal `json:"refusal,omitempty"`
}

// Progress phases.
const (
	PhaseRunning     = "running"      // a step is under way (Target: the step's target)
	PhaseVerifying   = "verifying"    // probing the endpoints (Done of Total verified)
	PhaseVerified    = "verified"     // Target (an endpoint) serves the wanted serial
	PhaseFailed      = "failed"       // Target failed: a step, or an endpoint that did not verify
	PhaseRollingBack = "rolling back" // verification failed; the automatic rollback runs
)

// Progress is one report from a running action: per target (a step's
// target, an endpoint), and the running count of verified endpoints.
type Progress struct {
	Subject string `json:"subject"`
	Target  string `json:"target"`
	Phase   string `json:"phase"`
	Done    int    `json:"done"`  // endpoints verified so far
	Total   int    `json:"total"` // endpoints to verify
	Message string `json:"message,omitempty"`
}

// Outcome states, from best to worst. The CLI maps them to exit codes,
// the console to a flash: OutcomeRollbackFailed is the loudest error
// certdeck has (nobody knows what is served, and the store changed).
const (
	OutcomeOK         = "ok"          // done; every endpoint verified (or none to verify)
	OutcomeRefused    = "refused"     // nothing changed: read-only, busy, a store refusal
	OutcomeCancelled  = "cancelled"   // ctx ended before the action finished
	OutcomeFailed     = "failed"      // a step failed (a reload's command, the store's I/O)
	OutcomeUnverified = "unverified"  // done, but an endpoint does not serve the new serial
	OutcomeRolledBack = "rolled-back" // not verified, rolled back, previous serial verified again
	// OutcomeRollbackFailed: not verified, and the automatic rollback
	// failed or did not verify either.
	OutcomeRollbackFailed = "rollback-failed"
)

// Outcome is the result of one Run, as a value the console renders and
// the audit line records.
type Outcome struct {
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	Bundle  string    `json:"bundle,omitempty"`
	User    string    `json:"user"` // user@host
	Started time.Time `json:"started"`
	// Duration runs from the start to the end, rollback included.
	Duration time.Duration `json:"duration"`
	State    string        `json:"state"`
	// Forward is the action itself; Back is the automatic rollback
	// (on_verify_fail: rollback), nil when none ran.
	Forward Leg  `json:"forward"`
	Back    *Leg `json:"rollback,omitempty"`
	// Error says why State is not OK, in one line (unsanitised, like
	// every string here: callers pass it through model.Sanitize).
	Error string `json:"error,omitempty"`
	// Warnings carry the plan's warnings and the store's (an audit line
	// that could not be written, an also-write output).
	Warnings []string `json:"warnings,omitempty"`
}

// OK reports whether the action did everything it set out to do.
func (o *Outcome) OK() bool { return o.State == OutcomeOK }

// Leg is one pass of an action: the store change, the reloads it ran
// and the verification that followed.
type Leg struct {
	Kind string `json:"kind"` // KindPublish, KindRollback, KindReload, KindPrune
	// Store is the publish or rollback result; nil for a reload.
	Store *Result `json:"store,omitempty"`
	// Pruned is a prune's result.
	Pruned  *PruneResult   `json:"pruned,omitempty"`
	Reloads []ReloadRun    `json:"reloads,omitempty"`
	Want    string         `json:"want_serial,omitempty"` // the serial verification waited for
	Verify  []VerifyResult `json:"verify,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// ReloadRun is one reload a leg ran.
type ReloadRun struct {
	Name      string        `json:"name"`
	Kind      string        `json:"kind"`
	Steps     []Step        `json:"steps"`
	Endpoints []string      `json:"endpoints"` // the endpoints it reloads
	OK        bool          `json:"ok"`
	ExitCode  int           `json:"exit_code"`
	Output    string        `json:"output,omitempty"` // bounded; sanitise before display
	Error     string        `json:"error,omitempty"`
	Duration  time.Duration `json:"duration"`
}

// Verified reports whether every endpoint of the leg verified.
func (l *Leg) Verified() bool {
	for _, v := range l.Verify {
		if v.State != EndpointVerified {
			return false
		}
	}
	return true
}

// reloadFailed reports whether any reload of the leg failed.
func (l *Leg) reloadFailed() bool {
	for _, r := range l.Reloads {
		if !r.OK {
			return true
		}
	}
	return false
}
