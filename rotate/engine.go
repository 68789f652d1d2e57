package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"certdeck/model"
)

// EngineOptions configure an Engine. Only Fleet matters to most callers;
// the rest have working defaults.
type EngineOptions struct {
	// Fleet holds the bundles, endpoints and reloads actions refer to by
	// name (nil: none; `certdeck rotate --store` without --config).
	Fleet *model.Fleet
	// ReadOnly refuses every Run with ErrReadOnly (--read-only): the
	// second line of enforcement behind the console's dispatch point.
	ReadOnly bool
	// Verifier probes endpoints after an action (probe.Scheduler in the
	// console, probe.NewServedProber for the CLI). Nil: nothing is
	// verified, and plans say so.
	Verifier Verifier
	// BundleSerial reads the serial a bundle holds now, for a reload's
	// verification (probe.BundleSerial reads every layout). Nil: store
	// bundles only.
	BundleSerial func(model.Bundle) (string, error)
	// MakeReload turns a configured reload into something that runs;
	// payload yields the PEM chain and key of the bundle being applied
	// (HAProxy's runtime API installs it). Nil: the real reload kinds.
	MakeReload func(r model.Reload, payload func(context.Context) ([]byte, error)) (Reload, error)
	// Store is what the stores actions open get (retention, audit log,
	// clock, roots). Its AuditLog is where the engine writes one line
	// per action ("": $XDG_STATE_HOME/certdeck/audit.log, "-": none).
	Store StoreOptions
	// Registry is shared by every engine of one program (nil: a new one).
	Registry *Registry
	// VerifyTimeout overrides every bundle's verify_timeout (`certdeck
	// reload --timeout`); 0 keeps them.
	VerifyTimeout time.Duration
	// Clock, Sleep and Backoff drive verification (nil/zero: real time,
	// DefaultBackoff); tests pass fakes.
	Clock   func() time.Time
	Sleep   func(ctx context.Context, d time.Duration) error
	Backoff Backoff
}

// Engine builds and runs actions. One Engine serves a whole program (the
// console, one CLI command); its Registry keeps two actions off one
// bundle. Safe for concurrent use.
type Engine struct {
	opt   EngineOptions
	fleet *model.Fleet
	reg   *Registry
}

// NewEngine returns an engine over opt.Fleet.
func NewEngine(opt EngineOptions) *Engine {
	e := &Engine{opt: opt, fleet: opt.Fleet, reg: opt.Registry}
	if e.fleet == nil {
		e.fleet = &model.Fleet{}
	}
	if e.reg == nil {
		e.reg = NewRegistry()
	}
	if e.opt.Clock == nil {
		e.opt.Clock = time.Now
	}
	return e
}

// Registry is the engine's in-flight registry (Snapshot, Holding, Cancel).
func (e *Engine) Registry() *Registry { return e.reg }

// ReadOnly reports whether the engine refuses every action.
func (e *Engine) ReadOnly() bool { return e.opt.ReadOnly }

// Fleet is the fleet the engine resolves names in.
func (e *Engine) Fleet() *model.Fleet { return e.fleet }

// action is the one Action implementation: a kind, what it claims, how
// it plans and how it runs. Run always goes through Engine.execute.
type action struct {
	e       *Engine
	kind    string
	subject string
	bundle  string
	claims  []string
	plan    func(ctx context.Context) (Plan, error)
	run     func(ctx context.Context, r *run) error
}

func (a *action) Plan(ctx context.Context) (Plan, error) { return a.plan(ctx) }

func (a *action) Run(ctx context.Context, progress func(Progress)) (*Outcome, error) {
	return a.e.execute(ctx, a, progress)
}

// run is one execution in progress: the Outcome it fills and the
// progress it reports.
type run struct {
	e   *Engine
	out *Outcome
	id  int
	mu  sync.Mutex
	cb  func(Progress)
	// steps are what actually ran, for the audit line.
	steps []Step
}

// report records p in the registry and passes it on, one call at a time.
func (r *run) report(p Progress) {
	p.Subject = r.out.Subject
	r.mu.Lock()
	defer r.mu.Unlock()
	r.e.reg.progress(r.id, p)
	if r.cb != nil {
		r.cb(p)
	}
}

// execute is the one path every action runs through: read-only refusal,
// the registry claim, the context the console can cancel, the timing,
// the final state and the audit line.
func (e *Engine) execute(ctx context.Context, a *action, progress func(Progress)) (*Outcome, error) {
	out := &Outcome{Kind: a.kind, Subject: a.subject, Bundle: a.bundle, User: userAtHost(), Started: e.opt.Clock()}
	if e.opt.ReadOnly {
		out.State, out.Error = OutcomeRefused, ErrReadOnly.Error()
		return out, fmt.Errorf("%s %s: %w", a.kind, a.subject, ErrReadOnly)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	id, err := e.reg.claim(a.kind, a.subject, a.claims, out.Started, cancel)
	if err != nil {
		out.State, out.Error = OutcomeRefused, err.Error()
		return out, fmt.Errorf("%s %s: %w", a.kind, a.subject, err)
	}
	defer e.reg.release(id)
	r := &run{e: e, out: out, id: id, cb: progress}
	runErr := a.run(ctx, r)
	out.Duration = e.opt.Clock().Sub(out.Started)
	if out.State == "" {
		out.State = OutcomeOK
	}
	if runErr != nil && out.Error == "" {
		out.Error = runErr.Error()
	}
	if ctx.Err() != nil && out.State != OutcomeOK && out.State != OutcomeRollbackFailed {
		out.State = OutcomeCancelled
	}
	// Read-only and busy refusals return above and write nothing: no
	// action began. Everything that began, refused by the store or not,
	// is one audit line.
	if err := e.audit(r); err != nil {
		out.Warnings = append(out.Warnings, err.Error())
	}
	if out.OK() {
		return out, nil
	}
	if runErr == nil {
		runErr = errors.New(out.Error)
	}
	// The store's own errors already say "publish web: …".
	if prefix := a.kind + " " + a.subject + ":"; strings.HasPrefix(runErr.Error(), prefix) {
		return out, runErr
	}
	return out, fmt.Errorf("%s %s: %w", a.kind, a.subject, runErr)
}

// storeFor opens the store behind a store-layout bundle with the
// engine's options; the engine writes the audit line itself (one per
// action, with reloads and verification), so the store writes none.
func (e *Engine) storeFor(b model.Bundle) (*Store, string, error) {
	opts := e.opt.Store
	opts.AuditLog = "-"
	return BundleStore(b, e.opt.ReadOnly, opts)
}

// verifyOptions are the options of one verification of bundle b's
// endpoints.
func (e *Engine) verifyOptions(timeout time.Duration) VerifyOptions {
	if e.opt.VerifyTimeout > 0 {
		timeout = e.opt.VerifyTimeout
	}
	return VerifyOptions{Timeout: timeout, Backoff: e.opt.Backoff, Clock: e.opt.Clock, Sleep: e.opt.Sleep}
}

// verify probes targets and reports progress per endpoint. An endpoint
// in failed (its reload failed, with why) is given one look
// (VerifyTarget.oneLook) rather than skipped: a failed reload usually
// leaves the server serving what it served, and what that is decides
// what follows (a rollback is needless when the new serial is served
// after all) and is what the audit line should record.
func (r *run) verify(ctx context.Context, targets []VerifyTarget, failed map[string]string, timeout time.Duration) []VerifyResult {
	if len(targets) == 0 || r.e.opt.Verifier == nil {
		return nil
	}
	total := len(targets)
	probe := make([]VerifyTarget, 0, total)
	for _, t := range targets {
		_, t.oneLook = failed[t.Endpoint]
		probe = append(probe, t)
	}
	r.report(Progress{Phase: PhaseVerifying, Total: total, Message: fmt.Sprintf("verifying 0/%d", total)})
	return VerifyServed(ctx, r.e.opt.Verifier, probe, r.e.verifyOptions(timeout), func(v VerifyResult, final bool, done int) {
		p := Progress{Target: v.Endpoint, Phase: PhaseVerifying, Done: done, Total: total, Message: v.Describe()}
		if final {
			p.Phase = PhaseFailed
			if v.State == EndpointVerified {
				p.Phase = PhaseVerified
			}
		}
		r.report(p)
	})
}
