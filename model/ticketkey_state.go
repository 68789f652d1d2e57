package model

import (
	"fmt"
	"slices"
	"time"
)

// TicketDirSnapshot is one read of a configured key dir, as the probe's
// watcher emits it: facts only (names, roles, ages), never a secret.
type TicketDirSnapshot struct {
	Name  string // the ticket_keys entry
	Facts TicketDirFacts
}

func (*TicketDirSnapshot) isEvent() {}

// TicketKeyState is what is known about one ticket_keys entry: its dir,
// and what the endpoints of its pool (serves) encrypt with.
type TicketKeyState struct {
	TicketKeys TicketKeys
	Facts      *TicketDirFacts // nil before the first read
	Verdict    Verdict
	// Pool has one member per endpoint in TicketKeys.Serves, in order.
	Pool []PoolMember
}

// PoolMember is what one pool endpoint was seen encrypting with.
type PoolMember struct {
	Endpoint string
	Kind     TicketKind // of its latest successful probe ("" not probed yet)
	KeyName  string     // named tickets only
	// Role is the role KeyName holds in the dir ("": not in the dir, or
	// the dir is not known).
	Role TicketRole
	// Since is when KeyName was first seen on this endpoint (persisted
	// across restarts when a ticket history is kept).
	Since time.Time
	// Findings are what the pool rule found about this member; they go
	// into the endpoint's own verdict too.
	Findings []Finding
}

// Sync is "in sync" over "members": members seen encrypting with the
// dir's current key, over the pool's size. When the dir is not known, the
// most common observed name stands in for the current key.
func (ts *TicketKeyState) Sync() (inSync, members int) {
	ref := ts.referenceName()
	for _, m := range ts.Pool {
		if m.KeyName != "" && m.KeyName == ref {
			inSync++
		}
	}
	return inSync, len(ts.Pool)
}

// SyncLabel is "3/3", or "" for an entry that serves no endpoint.
func (ts *TicketKeyState) SyncLabel() string {
	in, n := ts.Sync()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", in, n)
}

// Current is the dir's encrypting key, if known.
func (ts *TicketKeyState) Current() (TicketKeyFacts, bool) {
	if ts.Facts == nil {
		return TicketKeyFacts{}, false
	}
	return ts.Facts.Key(RoleCurrent)
}

// NextRotationDue is when the encrypting key reaches rotate_every.
func (ts *TicketKeyState) NextRotationDue() (time.Time, bool) {
	cur, ok := ts.Current()
	if !ok || cur.Since.IsZero() {
		return time.Time{}, false
	}
	return cur.Since.Add(ts.TicketKeys.RotateEvery), true
}

// referenceName is the name members should encrypt with: the dir's
// current key, else the name most members use.
func (ts *TicketKeyState) referenceName() string {
	if cur, ok := ts.Current(); ok {
		return cur.Name
	}
	return majorityName(ts.Pool)
}

// majorityName is the name most named members encrypt with; "" when there
// is none or a tie.
func majorityName(pool []PoolMember) string {
	count := map[string]int{}
	for _, m := range pool {
		if m.KeyName != "" {
			count[m.KeyName]++
		}
	}
	best, bestN, tie := "", 0, false
	for name, n := range count {
		switch {
		case n > bestN:
			best, bestN, tie = name, n, false
		case n == bestN:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// TicketKeys lists the ticket_keys states in config order.
func (s *State) TicketKeys() []*TicketKeyState { return s.ticketKeys }

// TicketKey finds one ticket_keys state.
func (s *State) TicketKey(name string) *TicketKeyState {
	for _, ts := range s.ticketKeys {
		if ts.TicketKeys.Name == name {
			return ts
		}
	}
	return nil
}

// initTicketKeys starts every ticket_keys entry UNKNOWN and indexes which
// pool each endpoint belongs to.
func (s *State) initTicketKeys() {
	s.poolOf = map[string]*TicketKeyState{}
	for _, tk := range s.Fleet.TicketKeys {
		ts := &TicketKeyState{TicketKeys: tk}
		for _, ep := range tk.Serves {
			s.poolOf[ep] = ts
		}
		s.ticketKeys = append(s.ticketKeys, ts)
		s.judgePool(ts, time.Time{})
	}
}

// applyTicketDir folds one key-dir read into state.
func (s *State) applyTicketDir(snap *TicketDirSnapshot, now time.Time) []Change {
	ts := s.TicketKey(snap.Name)
	if ts == nil {
		return nil
	}
	facts := snap.Facts
	prev, before := ts.Facts, ts.Verdict.Status
	ts.Facts = &facts
	s.judgePool(ts, now)
	var changes []Change
	add := func(kind ChangeKind, format string, args ...any) {
		changes = append(changes, Change{Time: now, Subject: ts.TicketKeys.Name, Kind: kind, Message: fmt.Sprintf(format, args...)})
	}
	if prev != nil {
		was, _ := prev.Key(RoleCurrent)
		is, _ := facts.Key(RoleCurrent)
		if was.Name != is.Name && is.Name != "" {
			add(ChangeTicketKey, "key dir now encrypts with %s (was %s)", ShortKeyName(is.Name), orNone(ShortKeyName(was.Name)))
		}
		if before != ts.Verdict.Status && len(changes) == 0 {
			add(ChangeStatus, "%s → %s: %s", before, ts.Verdict.Status, firstReason(ts.Verdict))
		}
	}
	return changes
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// rejudgeTickets re-judges the pool endpoint belongs to, after a new
// observation of it: one member's key changes what the others are judged
// against.
func (s *State) rejudgeTickets(endpoint string, now time.Time) {
	if ts := s.poolOf[endpoint]; ts != nil {
		s.judgePool(ts, now)
	}
}

// reclassifyTicketKeys re-applies the clock-dependent rules (key ages,
// names seen for too long) to every entry and its members.
func (s *State) reclassifyTicketKeys(now time.Time) {
	for _, ts := range s.ticketKeys {
		s.judgePool(ts, now)
	}
}

// judgePool recomputes the pool's members, the entry's verdict, and each
// member endpoint's verdict (its own rules plus the pool's findings).
func (s *State) judgePool(ts *TicketKeyState, now time.Time) {
	ts.Pool = ts.Pool[:0]
	for _, name := range ts.TicketKeys.Serves {
		m := PoolMember{Endpoint: name}
		if es := s.byName[name]; es != nil && es.Last != nil && !es.Last.Failed() {
			m.Kind = ticketKindOf(es.Last.Ticket)
			if m.Kind == TicketNamed {
				m.KeyName = es.Last.Ticket.KeyName
				for _, sg := range es.Tickets {
					if sg.KeyName == m.KeyName {
						m.Since = sg.FirstSeen
					}
				}
				if ts.Facts != nil {
					m.Role, _ = ts.Facts.Holds(m.KeyName)
				}
			}
		}
		ts.Pool = append(ts.Pool, m)
	}
	poolFindings(ts, now)
	ts.Verdict = JudgeTicketDir(ts.Facts, ts.TicketKeys.RotateEvery, now)
	for _, m := range ts.Pool {
		for _, f := range m.Findings {
			ts.Verdict.add(f.Status, m.Endpoint+" "+f.Reason)
		}
		if es := s.byName[m.Endpoint]; es != nil {
			es.ticketFindings = m.Findings
			es.Verdict = es.judge(now)
		}
	}
}

// judge is an endpoint's verdict at now: its observation's rules, then
// what its ticket-key pool found about it.
func (es *EndpointState) judge(now time.Time) Verdict {
	v := ClassifyEndpoint(es.Last, es.Endpoint.Thresholds, now)
	if es.Last == nil || es.Last.Failed() {
		return v
	}
	for _, f := range slices.Concat(es.ticketFindings, es.driftFindings) {
		v.add(f.Status, f.Reason)
	}
	return v
}

// poolFindings applies the pool rules to each named member:
//
//   - a key not in the dir: the member loads other files, or was not
//     reloaded since the dir changed twice ("encrypts with a key not in
//     edge-tickets");
//   - a key of the dir other than the current one: not reloaded since the
//     last rotation;
//   - without a readable dir, a name other than the one most members use;
//   - a name seen for longer than rotate_every: the member's keys are not
//     rotating, whatever the dir says.
func poolFindings(ts *TicketKeyState, now time.Time) {
	name := ts.TicketKeys.Name
	dirKnown := ts.Facts != nil && len(ts.Facts.Keys) > 0
	cur, _ := ts.Current()
	majority := majorityName(ts.Pool)
	distinct := map[string]bool{}
	for _, m := range ts.Pool {
		if m.KeyName != "" {
			distinct[m.KeyName] = true
		}
	}
	for i := range ts.Pool {
		m := &ts.Pool[i]
		m.Findings = nil
		if m.KeyName == "" {
			continue
		}
		add := func(s Status, format string, args ...any) {
			m.Findings = append(m.Findings, Finding{Status: s, Reason: fmt.Sprintf(format, args...)})
		}
		switch {
		case dirKnown && m.Role == "":
			add(Warn, "encrypts with a key not in %s (%s; the dir's current key is %s): it loads other key files, or missed the last reloads",
				name, ShortKeyName(m.KeyName), ShortKeyName(cur.Name))
		case dirKnown && m.Role != RoleCurrent && cur.Name != "":
			add(Warn, "encrypts with the %s key of %s (%s), not its current key %s: reload it", m.Role, name, ShortKeyName(m.KeyName), ShortKeyName(cur.Name))
		case !dirKnown && len(distinct) > 1 && m.KeyName != majority:
			if majority == "" {
				add(Warn, "members of %s encrypt with %d different keys (this one %s)", name, len(distinct), ShortKeyName(m.KeyName))
			} else {
				add(Warn, "encrypts with %s; the rest of %s uses %s", ShortKeyName(m.KeyName), name, ShortKeyName(majority))
			}
		}
		if every := ts.TicketKeys.RotateEvery; every > 0 && !m.Since.IsZero() && now.Sub(m.Since) > every {
			add(Warn, "has encrypted with ticket key %s since %s (%s): longer than rotate_every %s of %s",
				ShortKeyName(m.KeyName), m.Since.UTC().Format("2006-01-02 15:04Z"), formatLeft(now.Sub(m.Since)), FormatDays(every), name)
		}
	}
}

func ticketKindOf(t TicketInfo) TicketKind {
	switch {
	case t.Kind != TicketNone:
		return t.Kind
	case !t.Issued:
		return TicketNone
	case t.Opaque:
		return TicketOpaque
	case t.KeyName != "":
		return TicketNamed
	}
	return TicketNone
}

// Rank of a ticket_keys entry, for CompareWorstFirst: status, then name
// (key dirs have no days left).
func (ts *TicketKeyState) Rank(time.Time) Rank {
	return Rank{Status: ts.Verdict.Status, Name: ts.TicketKeys.Name}
}

// TicketKeysReport is a ticket_keys entry as `check --format json`
// reports it: names, roles, ages and the pool, never a secret.
type TicketKeysReport struct {
	Name            string           `json:"name"`
	Dir             string           `json:"dir"`
	Format          TicketFormat     `json:"format"`
	Status          Status           `json:"status"`
	Reasons         []string         `json:"reasons"`
	Encrypts        string           `json:"encrypts"`          // the current key's name ("" unknown)
	EncryptsSince   *time.Time       `json:"encrypts_since"`    // null when unknown
	NextRotationDue *time.Time       `json:"next_rotation_due"` // null when unknown
	RotateEvery     string           `json:"rotate_every"`
	TicketLifetime  string           `json:"ticket_lifetime"`
	OnMemoryFS      bool             `json:"on_memory_fs"`
	FSType          string           `json:"fs_type"`
	Keys            []TicketKeyFacts `json:"keys"`
	PoolInSync      int              `json:"pool_in_sync"`
	Pool            []PoolReport     `json:"pool"`
}

// PoolReport is one pool member in a report.
type PoolReport struct {
	Endpoint string     `json:"endpoint"`
	Kind     TicketKind `json:"kind"`
	KeyName  string     `json:"key_name"`
	Role     TicketRole `json:"role"` // "" when the key is not in the dir
	Since    *time.Time `json:"seen_since"`
}

// Report is the entry's report at now.
func (ts *TicketKeyState) Report(time.Time) TicketKeysReport {
	tk := ts.TicketKeys
	r := TicketKeysReport{Name: tk.Name, Dir: tk.Dir, Format: tk.Format, Status: ts.Verdict.Status, Reasons: ts.Verdict.Reasons,
		RotateEvery: FormatDays(tk.RotateEvery), TicketLifetime: FormatDays(tk.TicketLifetime), Keys: []TicketKeyFacts{}, Pool: []PoolReport{}}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	if f := ts.Facts; f != nil {
		r.OnMemoryFS, r.FSType = f.OnMemoryFS, f.FSType
		r.Keys = append(r.Keys, f.Keys...)
	}
	if cur, ok := ts.Current(); ok {
		r.Encrypts = cur.Name
		if !cur.Since.IsZero() {
			since := cur.Since.UTC()
			r.EncryptsSince = &since
		}
	}
	if due, ok := ts.NextRotationDue(); ok {
		due = due.UTC()
		r.NextRotationDue = &due
	}
	r.PoolInSync, _ = ts.Sync()
	for _, m := range ts.Pool {
		p := PoolReport{Endpoint: m.Endpoint, Kind: m.Kind, KeyName: m.KeyName, Role: m.Role}
		if !m.Since.IsZero() {
			since := m.Since.UTC()
			p.Since = &since
		}
		r.Pool = append(r.Pool, p)
	}
	return r
}

// TicketKeysWorstFirst orders the ticket_keys states by CompareWorstFirst.
func (s *State) TicketKeysWorstFirst(now time.Time) []*TicketKeyState {
	out := slices.Clone(s.ticketKeys)
	slices.SortStableFunc(out, func(a, b *TicketKeyState) int { return CompareWorstFirst(a.Rank(now), b.Rank(now)) })
	return out
}
