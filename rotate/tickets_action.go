package rotate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"certdeck/model"
)

// KindTicketRotate is the rotation of a ticket_keys entry's key dir as an
// action: a single dir, or a pool in three phases (TicketPool).
const KindTicketRotate = "ticket-rotate"

// TicketVerifier is what verification of a ticket rotation asks: the key
// name an endpoint's tickets carry now, or why none was seen (asked again
// with backoff until the verify timeout).
// probe's Scheduler and ServedProber implement it beside Verifier; an
// engine whose Verifier does not, verifies nothing and its plans say so.
type TicketVerifier interface {
	ServedTicketKey(ctx context.Context, endpoint string) (string, error)
}

// TicketRotateRequest asks for one rotation of a ticket_keys entry, or
// of a dir named on the command line (Dir set: no pool).
type TicketRotateRequest struct {
	Name string // the ticket_keys entry (with Dir: the subject's name, default Dir)
	// Dir, Format and TicketLifetime name a key dir that is not
	// configured (`tickets rotate --dir`).
	Dir            string
	Format         model.TicketFormat
	TicketLifetime time.Duration
	// HAProxy, with Dir, also makes that HAProxy follow the rotation at
	// runtime (--haproxy-socket): one member, driven over its socket.
	HAProxy *HAProxyTicketAPI
	// Force runs phase 2 although a member has not confirmed phase 1,
	// and drops the previous key before ticket_lifetime has passed.
	Force bool
}

// ticketClaim is the registry's name for a key dir: two rotations of one
// dir never run at once (its flock would also stop the second, later).
func ticketClaim(name string) string { return "ticket_keys " + name }

// TicketClaim is the name Registry.Holding takes for a ticket_keys entry.
func TicketClaim(name string) string { return ticketClaim(name) }

// RotateTickets is the rotation of ticket_keys entry req.Name: phase 1
// (every member of its serves: reloaded until it confirms the next key),
// phase 2 (the dir rotated, every member reloaded, each verified to
// encrypt with the promoted key), refused while a member is unconfirmed
// or the previous key may still be needed (ticket_lifetime). A member is
// reloaded by its endpoint's reload:, else the entry's; a haproxy reload
// means HAProxy's runtime API (show tls-keys, set ssl tls-key) on its
// socket. Members sharing a reload are reloaded once per phase. Under
// --read-only Run is refused; Plan works.
func (e *Engine) RotateTickets(req TicketRotateRequest) (Action, error) {
	var tk model.TicketKeys
	var pool *TicketPool
	var without []string
	if req.Dir != "" {
		tk = model.TicketKeys{Name: req.Name, Dir: req.Dir, Format: req.Format, TicketLifetime: req.TicketLifetime}
		if tk.Name == "" {
			tk.Name = req.Dir
		}
		pool, _, _ = e.ticketPool(tk)
		if req.HAProxy != nil {
			pool.Members = []TicketPoolMember{{Endpoint: "haproxy " + req.HAProxy.Socket, Runtime: req.HAProxy}}
		}
	} else {
		var ok bool
		if tk, ok = e.fleet.TicketKeysByName(req.Name); !ok {
			return nil, fmt.Errorf("rotate tickets %s: no ticket_keys entry of that name in the config", req.Name)
		}
		var err error
		if pool, without, err = e.ticketPool(tk); err != nil {
			return nil, fmt.Errorf("rotate tickets %s: %w", tk.Name, err)
		}
	}
	claims := []string{ticketClaim(tk.Name)}
	for _, ep := range tk.Serves {
		claims = append(claims, endpointClaim(ep))
	}
	a := &action{e: e, kind: KindTicketRotate, subject: tk.Name, claims: dedupe(claims)}
	a.plan = func(ctx context.Context) (Plan, error) {
		return e.planTickets(ctx, tk, pool, without, req.Force)
	}
	a.run = func(ctx context.Context, r *run) error {
		return e.runTickets(ctx, r, tk, pool, req.Force)
	}
	return a, nil
}

// ticketPool builds the pool of tk's members; without lists members with
// no reload (they must follow the files themselves).
func (e *Engine) ticketPool(tk model.TicketKeys) (*TicketPool, []string, error) {
	d := &TicketDir{Dir: tk.Dir, Format: tk.Format, Clock: e.opt.Store.Clock, ReadOnly: e.opt.ReadOnly}
	timeout := e.opt.VerifyTimeout // --timeout
	if timeout <= 0 {
		timeout = e.fleet.VerifyTimeout // defaults.verify_timeout
	}
	if timeout <= 0 {
		timeout = model.DefaultVerifyTimeout
	}
	pool := &TicketPool{Name: tk.Name, Dir: d, TicketLifetime: tk.TicketLifetime, VerifyTimeout: timeout}
	if tv, ok := e.opt.Verifier.(TicketVerifier); ok {
		pool.Probe = tv.ServedTicketKey
	}
	built := map[string]Reload{}
	var without []string
	for _, name := range tk.Serves {
		ep, ok := e.fleet.EndpointByName(name)
		if !ok {
			return nil, nil, fmt.Errorf("serves %s, which is not a configured endpoint", name)
		}
		m := TicketPoolMember{Endpoint: name}
		rn := ep.Reload
		if rn == "" {
			rn = tk.Reload
		}
		if rn == "" {
			without = append(without, name)
			pool.Members = append(pool.Members, m)
			continue
		}
		rl, ok := e.fleet.ReloadByName(rn)
		if !ok {
			return nil, nil, fmt.Errorf("endpoint %s: reload %q is not configured", name, rn)
		}
		if rl.Kind == model.ReloadHAProxy {
			if tk.Format != model.TicketHAProxy {
				return nil, nil, fmt.Errorf("endpoint %s: reload %s is HAProxy's runtime API, but %s holds %s keys", name, rn, tk.Dir, tk.Format)
			}
			ref, err := filepath.Abs(filepath.Join(tk.Dir, model.HAProxyTicketFile))
			if err != nil {
				return nil, nil, err
			}
			api := &HAProxyTicketAPI{Socket: rl.HAProxy.Socket, Ref: ref, Timeout: rl.Timeout}
			// A path the runtime API would split (";", spaces) is refused
			// here, when planning, not as a failed member.
			if err := api.Check(); err != nil {
				return nil, nil, fmt.Errorf("endpoint %s: reload %s: %w", name, rn, err)
			}
			m.Runtime = api
			pool.Members = append(pool.Members, m)
			continue
		}
		if built[rn] == nil {
			r, err := e.newTicketReload(rl)
			if err != nil {
				return nil, nil, fmt.Errorf("reload %s: %w", rn, err)
			}
			built[rn] = r
		}
		m.Reload = built[rn]
		pool.Members = append(pool.Members, m)
	}
	return pool, without, nil
}

// newTicketReload builds a reload that makes a server re-read its files:
// it installs no certificate, so it is handed no payload.
func (e *Engine) newTicketReload(r model.Reload) (Reload, error) {
	none := func(context.Context) ([]byte, error) {
		return nil, errors.New("a ticket-key rotation installs no certificate")
	}
	if e.opt.MakeReload != nil {
		return e.opt.MakeReload(r, none)
	}
	return NewReload(r, ReloadEnv{Payload: none})
}

// planTickets is the rotation as a dry run: which members phase 1
// reloads, the files phase 2 writes, the reloads and the key each member
// should then encrypt with. Nothing is reloaded or written.
func (e *Engine) planTickets(ctx context.Context, tk model.TicketKeys, pool *TicketPool, without []string, force bool) (Plan, error) {
	p := Plan{Kind: KindTicketRotate, Subject: tk.Name, VerifyTimeout: pool.VerifyTimeout}
	res, err := pool.Rotate(ctx, PoolOptions{DryRun: true, Force: force}, nil)
	if err != nil {
		var ref *Refusal
		if errors.As(err, &ref) {
			p.Refusal = ref
		}
		return p, fmt.Errorf("rotate tickets %s: %w", tk.Name, err)
	}
	for _, m := range res.Phase1 {
		if m.State == MemberPlanned {
			p.Steps = append(p.Steps, phaseSteps(1, m)...)
		}
	}
	for _, s := range res.Rotation.Steps {
		p.Steps = append(p.Steps, Step{Kind: "write", Target: tk.Dir, Detail: "phase 2: " + s})
	}
	seen := map[string]bool{}
	for _, m := range res.Phase2 {
		for _, s := range phaseSteps(2, m) {
			if k := s.Kind + s.Target + s.Detail; !seen[k] {
				seen[k] = true
				p.Steps = append(p.Steps, s)
			}
		}
	}
	p.OldSerial, p.NewSerial = res.Rotation.Before[model.RoleCurrent], res.Rotation.After[model.RoleCurrent]
	for _, ep := range tk.Serves {
		p.Verify = append(p.Verify, VerifyTarget{Endpoint: ep, Want: p.NewSerial})
	}
	if pool.Probe == nil && len(p.Verify) > 0 {
		p.Warnings = append(p.Warnings, "no verifier: which key the members encrypt with afterwards is not checked")
	}
	if len(without) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s %s no reload: taken to follow the key files (a Go server on rotate.TicketKeys); verified only",
			strings.Join(without, ", "), hasHave(len(without))))
	}
	p.Warnings = append(p.Warnings, res.Rotation.Warnings...)
	return p, nil
}

// phaseSteps labels a member's reload steps with its phase.
func phaseSteps(phase int, m MemberResult) []Step {
	var out []Step
	for _, s := range m.Steps {
		s.Detail = fmt.Sprintf("phase %d, %s: %s", phase, m.Endpoint, s.Detail)
		out = append(out, s)
	}
	if len(m.Steps) == 0 && m.How != "" && phase == 1 {
		out = append(out, Step{Kind: "check", Target: m.Endpoint, Detail: fmt.Sprintf("phase 1, %s: %s", m.Endpoint, m.How)})
	}
	return out
}

// runTickets runs the pool rotation into the Outcome: each member's
// reloads as the leg's reloads, phase 2's checks as its verification.
func (e *Engine) runTickets(ctx context.Context, r *run, tk model.TicketKeys, pool *TicketPool, force bool) error {
	out := r.out
	out.Forward.Kind = KindTicketRotate
	total := len(tk.Serves)
	done := 0
	res, err := pool.Rotate(ctx, PoolOptions{Force: force}, func(p PoolProgress) {
		phase := PhaseRunning
		if p.Endpoint == "" { // the dir itself
			r.report(Progress{Target: tk.Dir, Phase: PhaseRunning, Done: done, Total: total, Message: "phase 2: " + p.Message})
			return
		}
		switch p.State {
		case MemberFailed:
			phase = PhaseFailed
		case MemberVerified:
			phase, done = PhaseVerified, done+1
		case MemberConfirmed:
			phase = PhaseVerified // phase 1: holds the next key
			if p.Phase == 2 {
				phase = PhaseVerifying // reloaded: now prove it
			}
		}
		r.report(Progress{Target: p.Endpoint, Phase: phase, Done: done, Total: total,
			Message: fmt.Sprintf("phase %d: %s", p.Phase, p.Message)})
	})
	if res != nil {
		e.recordTicketRun(r, tk, res)
	}
	if err != nil {
		var ref *Refusal
		if errors.As(err, &ref) {
			out.State = OutcomeRefused
		} else {
			out.State = OutcomeFailed
		}
		return err
	}
	// The dir was rotated: a member left behind (its reload failed, or
	// it does not encrypt with the promoted key) is "not verified", exit
	// 4, never "nothing changed".
	for _, m := range res.Phase2 {
		if m.State == MemberFailed {
			out.State = OutcomeUnverified
			return fmt.Errorf("%s: %s", m.Endpoint, firstNonEmpty(m.recordedError(), m.VerifyError))
		}
	}
	return nil
}

// recordTicketRun puts what ran into the Outcome and the audit line:
// the steps (files written, reloads), each reload's result and each
// member's verification.
func (e *Engine) recordTicketRun(r *run, tk model.TicketKeys, res *PoolResult) {
	out := r.out
	add := func(phase int, m MemberResult) {
		if len(m.Steps) == 0 || m.How == "already confirmed" {
			return
		}
		r.steps = append(r.steps, phaseSteps(phase, m)...)
		name := strings.TrimPrefix(m.How, "reload ")
		out.Forward.Reloads = append(out.Forward.Reloads, ReloadRun{
			Name: fmt.Sprintf("%s for %s (phase %d)", name, m.Endpoint, phase), Kind: m.Steps[0].Kind, Steps: m.Steps,
			// The reload's own result: a member that reloaded but did not
			// verify (State failed, VerifyError set) ran its reload fine.
			Endpoints: []string{m.Endpoint}, OK: m.Error == "", ExitCode: m.ExitCode, Output: m.Output, Error: m.recordedError(),
			Duration: time.Duration(m.Took * float64(time.Second)),
		})
	}
	for _, m := range res.Phase1 {
		add(1, m)
	}
	if res.Rotation != nil {
		for _, s := range res.Rotation.Steps {
			r.steps = append(r.steps, Step{Kind: "write", Target: tk.Dir, Detail: s})
		}
		out.Forward.Want = res.Rotation.After[model.RoleCurrent]
		out.Warnings = append(out.Warnings, res.Rotation.Warnings...)
	}
	for _, m := range res.Phase2 {
		add(2, m)
		v := VerifyResult{Endpoint: m.Endpoint, Serial: m.Encrypts, Want: out.Forward.Want, Error: m.VerifyError, Attempts: m.Probes, Elapsed: m.Waited}
		switch {
		case m.State == MemberVerified:
			v.State = EndpointVerified
		case m.VerifyError != "" && strings.HasPrefix(m.VerifyError, "still encrypts"):
			v.State = EndpointStillServing
		case m.VerifyError != "" && m.State == MemberFailed:
			v.State = EndpointProbeError
		case m.State == MemberFailed:
			// Its reload (or set ssl tls-key) failed, so it was not
			// probed; it is still a member, and counts in the result's
			// "(1/2)" as one that does not encrypt with the promoted key.
			v.State, v.Error = EndpointProbeError, "not verified: "+m.How+" failed"
		default:
			continue // not checked: no verifier
		}
		out.Forward.Verify = append(out.Forward.Verify, v)
	}
}

// Texts of a ticket rotation's plan and outcome: key names (by their
// last digits, as the progress lines give them) and what a member
// encrypts with, never "serves", which is a certificate's word.

// ticketKeyChange is "encrypts with …aee1e3ea → …a88781eb".
func ticketKeyChange(from, to string) string {
	if from == "" {
		return "encrypts with " + model.ShortKeyName(to)
	}
	return fmt.Sprintf("encrypts with %s → %s", model.ShortKeyName(from), model.ShortKeyName(to))
}

// describeTicket is a member's verification line in a ticket plan.
func (t VerifyTarget) describeTicket(timeout time.Duration) string {
	return fmt.Sprintf("verify    %s encrypts with %s, probing with backoff up to %s", t.Endpoint, model.ShortKeyName(t.Want), timeout)
}

// describeTicket is a member's line in a ticket rotation's outcome:
// "edge-1: verified: encrypts with …a88781eb (2 probes, 150ms)".
func (v VerifyResult) describeTicket() string {
	switch v.State {
	case EndpointVerified:
		return fmt.Sprintf("%s: verified: encrypts with %s (%d %s, %s)", v.Endpoint, model.ShortKeyName(v.Serial), v.Attempts, plural(v.Attempts, "probe"), formatTook(v.Elapsed))
	case EndpointStillServing:
		return fmt.Sprintf("%s: still encrypts with %s (want %s) after %s", v.Endpoint, namedOr(model.ShortKeyName(v.Serial)), model.ShortKeyName(v.Want), formatTook(v.Elapsed))
	}
	return fmt.Sprintf("%s: error: %s", v.Endpoint, v.Error)
}

// ticketResult is a done ticket rotation's result: every member on the
// promoted key, or, with no members (a bare --dir), the key the dir now
// encrypts with.
func (o *Outcome) ticketResult(verified, total int) string {
	want := model.ShortKeyName(o.Forward.Want)
	switch {
	case total > 0:
		verb := "encrypt"
		if total == 1 {
			verb = "encrypts"
		}
		return fmt.Sprintf("verified: %d/%d %s %s with %s", verified, total, plural(total, "member"), verb, want)
	case want != "":
		return "rotated: current key " + want + "; no members to verify"
	}
	return "done"
}
