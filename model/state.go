package model

import (
	"fmt"
	"sort"
	"time"
)

// Event is something a probe or watcher reports. State.Apply is the only
// place events change state, so the console and `check` agree.
type Event interface{ isEvent() }

// ProbeStarted marks an endpoint as being probed now (the console shows
// probes in flight).
type ProbeStarted struct {
	Endpoint string
	Time     time.Time
}

func (ProbeStarted) isEvent() {}
func (*Observation) isEvent() {}

// ChangeKind classifies an entry of the event log.
type ChangeKind string

const (
	ChangeSerial    ChangeKind = "serial"     // a different certificate is served
	ChangeTicketKey ChangeKind = "ticket-key" // tickets carry a new key name
	ChangeError     ChangeKind = "error"      // a probe started failing, or fails differently
	ChangeRecovered ChangeKind = "recovered"  // a failing probe succeeds again
	ChangeStatus    ChangeKind = "status"     // the verdict changed for another reason
	ChangeBundle    ChangeKind = "bundle"     // something changed on disk
	ChangeAction    ChangeKind = "action"     // an action (rotate, reload) ran
	ChangeNonAtomic ChangeKind = "non-atomic" // a writer changed files of one bundle in separate steps
)

// Change is one line of the event log: something an operator would want
// to know happened, and when.
type Change struct {
	Time    time.Time
	Subject string // endpoint or bundle name
	Kind    ChangeKind
	Message string
}

// TicketSighting records when a ticket key name was first and last seen on
// one endpoint: the key's observed age.
type TicketSighting struct {
	KeyName   string
	FirstSeen time.Time
	LastSeen  time.Time
}

// EndpointState is what is known about one endpoint now.
type EndpointState struct {
	Endpoint Endpoint
	Last     *Observation // latest completed probe; nil before the first
	// LastGood is the latest probe that returned a certificate; it keeps the
	// served serial known while an endpoint is failing.
	LastGood *Observation
	Verdict  Verdict
	InFlight bool
	// Tickets holds one sighting per key name seen, oldest first.
	Tickets []TicketSighting
	// Backoff is set while the scheduler waits longer than the interval
	// before trying a failing endpoint again (ProbeBackoff).
	Backoff BackoffState
	// ticketFindings are what its ticket-key pool found (ticketkey_state.go).
	ticketFindings []Finding
	// driftFindings are the drift of the bundles it serves, as this
	// endpoint's own WARN (endpoint_drift.go): on call, the Fleet tab must
	// not show OK for an endpoint serving an old certificate.
	driftFindings []Finding
}

// TicketAge is how long the current ticket key name has been observed, and
// its name; ok is false when no named ticket has been seen.
func (e *EndpointState) TicketAge(now time.Time) (name string, age time.Duration, ok bool) {
	if e.Last == nil || e.Last.Ticket.KeyName == "" || e.Last.Ticket.Opaque {
		return "", 0, false
	}
	for _, s := range e.Tickets {
		if s.KeyName == e.Last.Ticket.KeyName {
			return s.KeyName, now.Sub(s.FirstSeen), true
		}
	}
	return "", 0, false
}

// State is the fleet as certdeck knows it now. It is not safe for
// concurrent use: the console owns it inside Update, `check` owns it alone.
type State struct {
	Fleet     *Fleet
	endpoints []*EndpointState // config order
	byName    map[string]*EndpointState
	// LastProbe is when the most recent observation arrived.
	LastProbe time.Time

	bundles      []*BundleState // config order; see bundle_state.go
	bundleByName map[string]*BundleState
	servedBy     map[string][]*BundleState // endpoint name → bundles whose serves: list it

	ticketKeys []*TicketKeyState          // config order; see ticketkey_state.go
	poolOf     map[string]*TicketKeyState // endpoint name → the ticket_keys entry that serves it
}

// NewState starts with every endpoint UNKNOWN.
func NewState(f *Fleet) *State {
	s := &State{Fleet: f, byName: map[string]*EndpointState{}}
	for _, ep := range f.Endpoints {
		es := &EndpointState{Endpoint: ep, Verdict: ClassifyEndpoint(nil, ep.Thresholds, time.Time{})}
		s.endpoints = append(s.endpoints, es)
		s.byName[ep.Name] = es
	}
	s.initBundles()
	s.initTicketKeys()
	return s
}

// Endpoints lists endpoint states in config order.
func (s *State) Endpoints() []*EndpointState { return s.endpoints }

// Endpoint finds one endpoint's state.
func (s *State) Endpoint(name string) *EndpointState { return s.byName[name] }

// Apply folds a batch of events into the state and returns the changes
// worth logging, in event order. Every change is stamped now, when its
// result reached the state: a probe is stamped with its start, and a
// timed-out probe started long before the quick one after it, so stamps
// taken from events would run backwards in the event log. Events for
// unknown names are ignored (an endpoint removed while its probe was in
// flight).
func (s *State) Apply(now time.Time, events []Event) []Change {
	var changes []Change
	for _, ev := range events {
		switch e := ev.(type) {
		case ProbeStarted:
			if es := s.byName[e.Endpoint]; es != nil {
				es.InFlight = true
			}
		case *Observation:
			if es := s.byName[e.Endpoint]; es != nil {
				changes = append(changes, es.observe(e, now)...)
				if e.Time.After(s.LastProbe) {
					s.LastProbe = e.Time
				}
				changes = append(changes, s.redriftEndpoint(e.Endpoint, now)...)
				s.rejudgeTickets(e.Endpoint, now)
			}
		case *BundleSnapshot:
			changes = append(changes, s.applyBundle(e, now)...)
		case VerifyStarted:
			changes = append(changes, s.startVerify(e, now)...)
		case ProbeBackoff:
			if es := s.byName[e.Endpoint]; es != nil {
				es.Backoff = BackoffState{Failures: e.Failures, Next: e.Next}
			}
		case *TicketDirSnapshot:
			changes = append(changes, s.applyTicketDir(e, now)...)
		}
	}
	return changes
}

// Reclassify re-applies the status rules at now: days left shrink while no
// event arrives, and a certificate can cross a threshold between probes.
func (s *State) Reclassify(now time.Time) {
	for _, es := range s.endpoints {
		es.Verdict = es.judge(now)
	}
	s.reclassifyBundles(now)
	s.reclassifyTicketKeys(now)
}

// Worst is the most severe endpoint or bundle status (OK for an empty fleet).
func (s *State) Worst() Status {
	w := OK
	for _, es := range s.endpoints {
		w = Worse(w, es.Verdict.Status)
	}
	for _, bs := range s.bundles {
		w = Worse(w, bs.Verdict.Status)
	}
	for _, ts := range s.ticketKeys {
		w = Worse(w, ts.Verdict.Status)
	}
	return w
}

// WorstFirst returns endpoint states ordered as on-call reads them: by
// status, worst first; then fewest days left; then name.
func (s *State) WorstFirst(now time.Time) []*EndpointState {
	out := append([]*EndpointState(nil), s.endpoints...)
	sort.SliceStable(out, func(i, j int) bool { return LessWorstFirst(out[i], out[j], now) })
	return out
}

// LessWorstFirst is CompareWorstFirst for two endpoints: status worst
// first, then fewest days left (no certificate last), then name.
func LessWorstFirst(a, b *EndpointState, now time.Time) bool {
	return CompareWorstFirst(a.Rank(now), b.Rank(now)) < 0
}

// DaysLeft of the served leaf; ok is false when no certificate is known.
func (e *EndpointState) DaysLeft(now time.Time) (int, bool) {
	if e.Last == nil || e.Last.Leaf() == nil {
		return 0, false
	}
	return DaysLeft(e.Last.Leaf().NotAfter, now), true
}

func (es *EndpointState) observe(o *Observation, now time.Time) []Change {
	var changes []Change
	prev := es.Last
	name := es.Endpoint.Name
	add := func(kind ChangeKind, format string, args ...any) {
		changes = append(changes, Change{Time: now, Subject: name, Kind: kind, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case o.Failed() && (prev == nil || !prev.Failed() || prev.ErrKind != o.ErrKind):
		add(ChangeError, "%s: %s", o.ErrKind, o.Error)
	case !o.Failed() && prev.Failed():
		add(ChangeRecovered, "probe succeeds again (%s)", prev.ErrKind)
	}
	if leaf := o.Leaf(); leaf != nil {
		if es.LastGood != nil && es.LastGood.Leaf() != nil && es.LastGood.Leaf().Serial != leaf.Serial {
			add(ChangeSerial, "serves serial %s (was %s), expires %s",
				leaf.Serial, es.LastGood.Leaf().Serial, leaf.NotAfter.Format(time.DateOnly))
		}
		es.LastGood = o
	}
	if k := o.Ticket.KeyName; k != "" && !o.Ticket.Opaque {
		es.sightTicket(k, o.Time, func(old string) {
			// Key names are 16 random bytes: 8 hex digits cannot collide in
			// practice (unlike serials, which CAs may issue in sequence).
			add(ChangeTicketKey, "ticket key %s replaces %s", ShortKeyName(k), ShortKeyName(old))
		})
	}
	es.Last = o
	es.InFlight = false
	if !o.Failed() || len(o.Addresses) > 0 && anyAddressAnswered(o.Addresses) {
		es.Backoff = BackoffState{}
	}
	before := es.Verdict.Status
	es.Verdict = es.judge(now)
	if prev != nil && before != es.Verdict.Status && len(changes) == 0 {
		add(ChangeStatus, "%s → %s: %s", before, es.Verdict.Status, firstReason(es.Verdict))
	}
	return changes
}

// sightingLimit bounds per-endpoint ticket history: a server that rotates
// every minute must not grow memory without end.
const sightingLimit = 16

func (es *EndpointState) sightTicket(name string, at time.Time, changed func(old string)) {
	for i := range es.Tickets {
		if es.Tickets[i].KeyName == name {
			es.Tickets[i].LastSeen = at
			return
		}
	}
	if n := len(es.Tickets); n > 0 {
		changed(es.Tickets[n-1].KeyName)
	}
	es.Tickets = append(es.Tickets, TicketSighting{KeyName: name, FirstSeen: at, LastSeen: at})
	if len(es.Tickets) > sightingLimit {
		es.Tickets = es.Tickets[len(es.Tickets)-sightingLimit:]
	}
}

func firstReason(v Verdict) string {
	if len(v.Reasons) == 0 {
		return "no findings"
	}
	return v.Reasons[0]
}
