package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"certdeck/model"
)

// TicketPool is a key dir shared by several servers (a ticket_keys
// entry's serves:), rotated in the only order that never strands a
// ticket across the pool:
//
//	phase 1  every member holds the dir's next key decrypt-only: each is
//	         reloaded until it confirms (its reload succeeded after the
//	         key was written; a HAProxy lists it in show tls-keys);
//	phase 2  only then is the next key promoted: the dir is rotated
//	         (previous ← current, current ← next, next ← fresh) and every
//	         member reloaded, so each encrypts with the key all the others
//	         already decrypt, and holds the fresh key as its next;
//	phase 3  the key that stopped encrypting stays as previous, and is
//	         dropped by the following rotation only once ticket_lifetime
//	         has passed (the rotation is refused before).
//
// Phase 2 is refused while any member has not confirmed phase 1, unless
// Force. A member with no reload and no runtime API is taken to follow
// the files itself (a Go server on rotate.TicketKeys), and phase 2's
// verification checks that it does. A member whose phase-2 reload fails keeps encrypting with the old
// current key, which every other member still decrypts (as previous): the
// pool stays whole, and the next rotation's phase 1 reloads that member
// first. Confirmations are kept in the dir's meta file, so phase 1 costs
// nothing when the last rotation's reloads all succeeded.
type TicketPool struct {
	Name    string // the ticket_keys entry, for messages
	Dir     *TicketDir
	Members []TicketPoolMember
	// TicketLifetime guards phase 3 (0: no wait).
	TicketLifetime time.Duration
	// Probe, when set, verifies phase 2: the key name an endpoint's
	// tickets carry now, or why none was seen (asked again until
	// VerifyTimeout).
	Probe func(ctx context.Context, endpoint string) (string, error)
	// VerifyTimeout bounds the wait for each member to encrypt with the
	// promoted key (default model.DefaultVerifyTimeout).
	VerifyTimeout time.Duration
}

// TicketPoolMember is one server of the pool and how it loads the keys.
type TicketPoolMember struct {
	Endpoint string
	// Reload makes the member load the dir's files (nginx -s reload, a
	// HAProxy reload, …). Nil when only Runtime applies.
	Reload Reload
	// Runtime, for a HAProxy member, confirms with show tls-keys and
	// installs a rotation with set ssl tls-key, without a reload.
	Runtime *HAProxyTicketAPI
}

// PoolOptions configure TicketPool.Rotate.
type PoolOptions struct {
	// Force runs phase 2 although a member has not confirmed phase 1,
	// and drops the previous key before ticket_lifetime has passed.
	Force bool
	// DryRun plans: nothing is reloaded or written.
	DryRun bool
}

// Pool progress states of one member.
const (
	MemberRunning   = "running"   // its reload (or runtime update) is under way
	MemberConfirmed = "confirmed" // holds the key the phase installs
	MemberFailed    = "failed"    // its reload (or runtime update) failed
	MemberPlanned   = "planned"   // dry run: would be reloaded
	MemberVerified  = "verified"  // encrypts with the promoted key
	// MemberRotated reports the dir itself (Endpoint empty): phase 2
	// rotated it.
	MemberRotated = "rotated"
)

// PoolProgress is one report of a running pool rotation.
type PoolProgress struct {
	Phase    int    // 1 or 2
	Endpoint string // the member
	State    string // running, confirmed, failed, verified, …
	Message  string
}

// MemberResult is what one phase did to one member.
type MemberResult struct {
	Endpoint string `json:"endpoint"`
	// How: "already confirmed", "reload NAME", "show tls-keys", "set ssl
	// tls-key", or "follows the files (no reload)" for a member with no
	// reload (a Go server on rotate.TicketKeys).
	How   string `json:"how"`
	State string `json:"state"`
	// Holds is the next key the member confirmed holding.
	Holds string `json:"holds,omitempty"`
	// Encrypts is the key its tickets carried when verified (phase 2).
	Encrypts string  `json:"encrypts,omitempty"`
	Error    string  `json:"error,omitempty"`
	Steps    []Step  `json:"steps,omitempty"`
	Output   string  `json:"output,omitempty"` // the reload's output tail (sanitise before display)
	Took     float64 `json:"took_seconds"`
	// ExitCode is its reload's exit status (-1: none).
	ExitCode int `json:"exit_code"`
	// Probes, Waited and VerifyError are phase 2's verification of the
	// member: how many probes, how long, and why it did not verify.
	Probes      int           `json:"probes,omitempty"`
	Waited      time.Duration `json:"waited,omitempty"`
	VerifyError string        `json:"verify_error,omitempty"`
	// recorded is Error without what the server wrote, for the audit log
	// and the outcome ("" when Error has none of it).
	recorded string
}

// recordedError is the member's error as the audit log keeps it: never
// the server's own output, which is shown with the reload's line only.
func (m MemberResult) recordedError() string { return firstNonEmpty(m.recorded, m.Error) }

// PoolResult is a pool rotation: both phases member by member, and the
// rotation of the dir between them.
type PoolResult struct {
	Name string `json:"name"`
	// Next is the key phase 1 confirmed (the dir's next key before).
	Next   string         `json:"next"`
	Phase1 []MemberResult `json:"phase1"`
	// Refused says why phase 2 did not run (nothing was rotated).
	Refused  string         `json:"refused,omitempty"`
	Rotation *TicketResult  `json:"rotation,omitempty"`
	Phase2   []MemberResult `json:"phase2,omitempty"`
}

// ReasonPoolUnconfirmed: phase 2 refused because a member has not
// confirmed holding the next key.
const ReasonPoolUnconfirmed RefusalReason = "pool member unconfirmed"

// OK reports whether both phases reached every member.
func (r *PoolResult) OK() bool {
	if r.Refused != "" || r.Rotation == nil {
		return false
	}
	for _, m := range r.Phase2 {
		if m.State != MemberVerified && m.State != MemberConfirmed {
			return false
		}
	}
	return true
}

// Rotate runs phase 1, then phase 2 unless refused. It holds the dir's
// lock throughout. err is a *Refusal when the rotation was refused
// before phase 1 (an unsafe or damaged dir, a previous key still within
// ticket_lifetime: the result is nil and no member was reloaded), or when
// phase 2 was refused (the result says which members phase 1 reached).
func (p *TicketPool) Rotate(ctx context.Context, opt PoolOptions, progress func(PoolProgress)) (*PoolResult, error) {
	if progress == nil {
		progress = func(PoolProgress) {}
	}
	d := p.Dir
	unlock := func() {}
	if opt.DryRun {
		if err := checkTicketDirSafe(d.Dir); err != nil {
			return nil, err
		}
	} else {
		var err error
		if unlock, err = d.beginWrite(ctx); err != nil {
			return nil, err
		}
	}
	defer unlock()
	read := ReadTicketDir(d.Dir, d.Format, d.now())
	set, facts := model.InspectTicketDir(read)
	if err := refuseUnreadable(facts); err != nil {
		return nil, err
	}
	if !set.Complete() {
		return nil, refuse(ReasonBadInput, "%s holds no complete key set", d.Dir)
	}
	meta, _ := model.ParseTicketMeta(read.Meta)
	if meta.Members == nil {
		meta.Members = map[string]model.TicketMemberState{}
	}
	// Every refusal the rotation itself would make (the previous key may
	// still decrypt tickets: ticket_lifetime) is decided here, before
	// phase 1 reloads anyone: a refused rotation reloads nothing.
	if _, err := d.rotateLocked(RotateOptions{TicketLifetime: p.TicketLifetime, Force: opt.Force, DryRun: true}); err != nil {
		return nil, err
	}
	res := &PoolResult{Name: p.Name, Next: set.Next.Name()}

	// Phase 1: every member must hold the next key.
	var unconfirmed []string
	once := reloadOnce()
	for _, m := range p.Members {
		mr := p.confirm(ctx, m, set.Next, meta, opt.DryRun, once, progress)
		res.Phase1 = append(res.Phase1, mr)
		if mr.State != MemberConfirmed {
			unconfirmed = append(unconfirmed, describeUnconfirmed(mr))
		}
		if !opt.DryRun && mr.How != "already confirmed" {
			meta.Members[m.Endpoint] = memberState(mr, d.now())
		}
	}
	if !opt.DryRun {
		if err := d.writeMembers(meta.Members); err != nil {
			return res, err
		}
	}
	if len(unconfirmed) > 0 && !opt.Force && !opt.DryRun {
		res.Refused = fmt.Sprintf("phase 2 refused: %s not confirmed holding the next key %s; promoting it now would make servers issue tickets the others cannot open (fix the reload and run again, or --force)",
			strings.Join(unconfirmed, "; "), model.ShortKeyName(set.Next.Name()))
		return res, refuse(ReasonPoolUnconfirmed, "%s", res.Refused)
	}

	// Phase 2: promote the next key, reload every member.
	rot, err := d.rotateLocked(RotateOptions{TicketLifetime: p.TicketLifetime, Force: opt.Force, DryRun: opt.DryRun})
	if err != nil {
		res.Refused = err.Error()
		return res, err
	}
	res.Rotation = rot
	if !opt.DryRun {
		short := model.ShortKeyName // as every other progress line names keys
		msg := fmt.Sprintf("rotated: current %s → %s; next %s (fresh); previous %s",
			short(rot.Before[model.RoleCurrent]), short(rot.After[model.RoleCurrent]), short(rot.After[model.RoleNext]), short(rot.After[model.RolePrevious]))
		if rot.Finished != "" {
			msg = rot.Finished
		}
		progress(PoolProgress{Phase: 2, State: MemberRotated, Message: msg})
	}
	if opt.DryRun {
		for _, m := range p.Members {
			res.Phase2 = append(res.Phase2, MemberResult{Endpoint: m.Endpoint, How: howOf(m, 2), State: MemberPlanned, Steps: stepsOf(m, 2)})
		}
		return res, nil
	}
	after, _ := LoadTicketDir(d.Dir, d.Format, d.now())
	meta2, _ := model.ParseTicketMeta(mustRead(d))
	if meta2.Members == nil {
		meta2.Members = map[string]model.TicketMemberState{}
	}
	once = reloadOnce()
	for _, m := range p.Members {
		mr := p.install(ctx, m, after, once, progress)
		meta2.Members[m.Endpoint] = memberState(mr, d.now())
		res.Phase2 = append(res.Phase2, mr)
	}
	if err := d.writeMembers(meta2.Members); err != nil {
		return res, err
	}
	p.verify(ctx, res.Phase2, after.Current.Name(), progress)
	return res, nil
}

// confirm is phase 1 for one member: is the next key loaded there?
func (p *TicketPool) confirm(ctx context.Context, m TicketPoolMember, next model.TicketKey, meta model.TicketMeta, dry bool, run func(context.Context, Reload) ReloadResult, progress func(PoolProgress)) MemberResult {
	mr := MemberResult{Endpoint: m.Endpoint, Holds: next.Name(), ExitCode: -1}
	if st, ok := meta.Members[m.Endpoint]; ok && st.Next == next.Name() && st.Error == "" && m.Runtime == nil {
		mr.How, mr.State = "already confirmed", MemberConfirmed
		progress(PoolProgress{Phase: 1, Endpoint: m.Endpoint, State: mr.State, Message: "holds " + model.ShortKeyName(next.Name()) + " since " + st.At.UTC().Format(time.RFC3339)})
		return mr
	}
	start := time.Now()
	if m.Runtime != nil {
		mr.How = "show tls-keys"
		names, err := m.Runtime.Names(ctx)
		switch {
		case err == nil && len(names) == 3 && names[2] == next.Name():
			mr.State = MemberConfirmed
			progress(PoolProgress{Phase: 1, Endpoint: m.Endpoint, State: mr.State, Message: "show tls-keys lists " + model.ShortKeyName(next.Name()) + " as next"})
			return mr
		case err == nil:
			mr.Error = fmt.Sprintf("show tls-keys lists %s, not the next key %s as next: reload HAProxy so it loads the file", shortNames(names), model.ShortKeyName(next.Name()))
		default:
			mr.Error = err.Error()
		}
		if m.Reload == nil {
			mr.State, mr.Holds = MemberFailed, ""
			progress(PoolProgress{Phase: 1, Endpoint: m.Endpoint, State: mr.State, Message: mr.Error})
			return mr
		}
	}
	if m.Reload == nil {
		// A Go server on rotate.TicketKeys reloads the files itself; phase
		// 2's verification shows whether it does.
		mr.How, mr.State = "follows the files (no reload)", MemberConfirmed
		progress(PoolProgress{Phase: 1, Endpoint: m.Endpoint, State: mr.State, Message: mr.How})
		return mr
	}
	mr.How, mr.Steps = "reload "+m.Reload.Name(), m.Reload.Steps()
	if dry {
		mr.State = MemberPlanned
		return mr
	}
	progress(PoolProgress{Phase: 1, Endpoint: m.Endpoint, State: MemberRunning, Message: mr.How})
	r := run(ctx, m.Reload)
	mr.Output, mr.ExitCode, mr.Took = r.Output, r.ExitCode, time.Since(start).Seconds()
	if !r.OK() {
		mr.State, mr.Holds, mr.Error, mr.recorded = MemberFailed, "", reloadError(r), r.Err.Error()
	} else {
		mr.State = MemberConfirmed
	}
	progress(PoolProgress{Phase: 1, Endpoint: m.Endpoint, State: mr.State, Message: firstNonEmpty(mr.Error, mr.How+": holds "+model.ShortKeyName(next.Name()))})
	return mr
}

// install is phase 2 for one member: load the rotated dir.
func (p *TicketPool) install(ctx context.Context, m TicketPoolMember, after model.TicketKeySet, run func(context.Context, Reload) ReloadResult, progress func(PoolProgress)) MemberResult {
	mr := MemberResult{Endpoint: m.Endpoint, How: howOf(m, 2), Steps: stepsOf(m, 2), Holds: after.Next.Name(), ExitCode: -1}
	start := time.Now()
	progress(PoolProgress{Phase: 2, Endpoint: m.Endpoint, State: MemberRunning, Message: mr.How})
	var err error
	switch {
	case m.Runtime != nil:
		if err = m.Runtime.Push(ctx, after.Next); err == nil {
			var names []string
			if names, err = m.Runtime.Names(ctx); err == nil && (len(names) != 3 || names[1] != after.Current.Name() || names[2] != after.Next.Name()) {
				err = fmt.Errorf("show tls-keys lists %s after set ssl tls-key", shortNames(names))
			}
		}
	case m.Reload != nil:
		r := run(ctx, m.Reload)
		mr.Output, mr.ExitCode = r.Output, r.ExitCode
		if !r.OK() {
			err = errors.New(reloadError(r))
			mr.recorded = r.Err.Error()
		}
	}
	mr.Took = time.Since(start).Seconds()
	if err != nil {
		const keeps = " (it keeps encrypting with the previous key, which the others still decrypt; the next rotation reloads it first)"
		mr.State, mr.Holds, mr.Error = MemberFailed, "", err.Error()+keeps
		if mr.recorded != "" {
			mr.recorded += keeps
		}
	} else {
		mr.State = MemberConfirmed
	}
	progress(PoolProgress{Phase: 2, Endpoint: m.Endpoint, State: mr.State, Message: firstNonEmpty(mr.Error, mr.How)})
	return mr
}

// verify waits, member by member, for tickets named after the promoted
// key (with backoff, at most VerifyTimeout each).
func (p *TicketPool) verify(ctx context.Context, members []MemberResult, want string, progress func(PoolProgress)) {
	if p.Probe == nil {
		return
	}
	timeout := p.VerifyTimeout
	if timeout <= 0 {
		timeout = model.DefaultVerifyTimeout
	}
	for i := range members {
		mr := &members[i]
		if mr.State != MemberConfirmed {
			continue
		}
		start := time.Now()
		deadline := start.Add(timeout)
		wait := 100 * time.Millisecond
		for {
			name, err := p.Probe(ctx, mr.Endpoint)
			mr.Probes, mr.Waited = mr.Probes+1, time.Since(start)
			switch {
			case err == nil && name == want:
				mr.State, mr.Encrypts = MemberVerified, name
			case time.Now().Add(wait).After(deadline) || ctx.Err() != nil:
				mr.State, mr.Encrypts = MemberFailed, name
				mr.VerifyError = fmt.Sprintf("still encrypts with %s, not %s, after %s", namedOr(model.ShortKeyName(name)), model.ShortKeyName(want), timeout)
				if err != nil {
					mr.VerifyError = fmt.Sprintf("probe: %v", err)
				}
			default:
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
				wait = min(2*wait, 2*time.Second)
				continue
			}
			break
		}
		progress(PoolProgress{Phase: 2, Endpoint: mr.Endpoint, State: mr.State, Message: firstNonEmpty(mr.VerifyError, "encrypts with "+model.ShortKeyName(want))})
	}
}

// reloadOnce runs each reload (by name) at most once per phase: one nginx
// reload serves every member it hosts.
func reloadOnce() func(context.Context, Reload) ReloadResult {
	done := map[string]ReloadResult{}
	return func(ctx context.Context, r Reload) ReloadResult {
		if res, ok := done[r.Name()]; ok {
			return res
		}
		res := r.Run(ctx)
		done[r.Name()] = res
		return res
	}
}

// reloadError is a failed reload's error with the last line of what the
// server said (nginx names the file it could not open).
func reloadError(r ReloadResult) string {
	if out := strings.TrimSpace(lastLine(r.Output)); out != "" {
		return r.Err.Error() + ": " + out
	}
	return r.Err.Error()
}

func howOf(m TicketPoolMember, phase int) string {
	switch {
	case m.Runtime != nil && phase == 2:
		return "set ssl tls-key"
	case m.Reload != nil:
		return "reload " + m.Reload.Name()
	case m.Runtime != nil:
		return "show tls-keys"
	}
	return "follows the files (no reload)"
}

func stepsOf(m TicketPoolMember, phase int) []Step {
	switch {
	case m.Runtime != nil && phase == 2:
		return []Step{m.Runtime.Step()}
	case m.Reload != nil:
		return m.Reload.Steps()
	}
	return nil
}

func memberState(mr MemberResult, now time.Time) model.TicketMemberState {
	if mr.State == MemberFailed {
		return model.TicketMemberState{At: now.UTC(), Error: mr.Error}
	}
	return model.TicketMemberState{Next: mr.Holds, At: now.UTC()}
}

func describeUnconfirmed(mr MemberResult) string {
	if e := mr.recordedError(); e != "" {
		// Kept in the audit log: the server's own words are not.
		return mr.Endpoint + " (" + e + ")"
	}
	return mr.Endpoint
}

func namedOr(s string) string {
	if s == "" {
		return "no named ticket"
	}
	return s
}

// mustRead is the meta file's bytes, nil when it cannot be read.
func mustRead(d *TicketDir) []byte {
	return ReadTicketDir(d.Dir, d.Format, d.now()).Meta
}

// writeMembers rewrites the meta file with members, keeping the rest. The
// caller holds the lock.
func (d *TicketDir) writeMembers(members map[string]model.TicketMemberState) error {
	m, err := model.ParseTicketMeta(mustRead(d))
	if err != nil {
		// No usable meta: start one from the files.
		set, facts := LoadTicketDir(d.Dir, d.Format, d.now())
		m = model.TicketMeta{Format: d.Format}
		for _, k := range facts.Keys {
			m.Keys = append(m.Keys, model.TicketMetaKey{Role: k.Role, Name: set.ByRole(k.Role).Name(), Since: k.Since.UTC()})
		}
	}
	m.Members = members
	return d.replaceFile(model.TicketMetaFile, m.Encode())
}
