package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrBusy is returned (as a *BusyError) by Run when another action holds
// one of the bundles, endpoints or reloads this one needs: two actions
// never race on one bundle. The second is refused, not queued: the
// operator sees why and decides.
var ErrBusy = errors.New("busy")

// BusyError names what is busy and the action holding it.
type BusyError struct {
	Claim  string  // "bundle web", "endpoint web-1", "reload web-nginx"
	Holder Running // the action that holds it
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s is busy: %s of %s has been running since %s; try again when it has finished",
		e.Claim, e.Holder.Kind, e.Holder.Subject, e.Holder.Started.Format(time.TimeOnly))
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// Running is one in-flight action, as the console's header shows it.
type Running struct {
	ID      int       `json:"id"`
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	Started time.Time `json:"started"`
	// Phase and Message are the latest progress; Done of Total endpoints
	// are verified.
	Phase       string `json:"phase"`
	Message     string `json:"message,omitempty"`
	Done, Total int
	// Targets is the latest progress of each target (step or endpoint),
	// in the order they first reported.
	Targets []Progress `json:"targets,omitempty"`
	// Claims are the bundles, endpoints and reloads it holds.
	Claims []string `json:"claims"`
}

// Registry is the set of actions in flight in this process. An action
// claims every bundle, endpoint and reload it touches for as long as it
// runs, rollback included; a claim already held refuses the newcomer.
// Safe for concurrent use; the zero value is not: use NewRegistry.
type Registry struct {
	mu      sync.Mutex
	nextID  int
	running map[int]*entry
	held    map[string]int // claim → holder ID
}

type entry struct {
	Running
	cancel context.CancelFunc
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{running: map[int]*entry{}, held: map[string]int{}}
}

// claim registers an action holding claims, or refuses with a
// *BusyError naming the first claim already held.
func (r *Registry) claim(kind, subject string, claims []string, now time.Time, cancel context.CancelFunc) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range claims {
		if id, ok := r.held[c]; ok {
			return 0, &BusyError{Claim: c, Holder: r.running[id].snapshot()}
		}
	}
	r.nextID++
	id := r.nextID
	r.running[id] = &entry{Running: Running{ID: id, Kind: kind, Subject: subject, Started: now, Phase: PhaseRunning, Claims: slices.Clone(claims)}, cancel: cancel}
	for _, c := range claims {
		r.held[c] = id
	}
	return id, nil
}

// release ends an action's claims.
func (r *Registry) release(id int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.running[id]
	if !ok {
		return
	}
	for _, c := range e.Claims {
		delete(r.held, c)
	}
	delete(r.running, id)
}

// progress records p on action id.
func (r *Registry) progress(id int, p Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.running[id]
	if !ok {
		return
	}
	e.Phase, e.Message = p.Phase, p.Message
	if p.Total > 0 {
		e.Done, e.Total = p.Done, p.Total
	}
	if p.Target == "" {
		return
	}
	for i := range e.Targets {
		if e.Targets[i].Target == p.Target {
			e.Targets[i] = p
			return
		}
	}
	e.Targets = append(e.Targets, p)
}

// Snapshot lists the actions in flight, oldest first. The values are
// copies: the console may keep them.
func (r *Registry) Snapshot() []Running {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Running, 0, len(r.running))
	for _, e := range r.running {
		out = append(out, e.snapshot())
	}
	slices.SortFunc(out, func(a, b Running) int { return a.ID - b.ID })
	return out
}

// Holding reports the action holding a bundle, endpoint or reload
// ("bundle web", "endpoint web-1"), for a row's "verifying 2/3".
func (r *Registry) Holding(claim string) (Running, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.held[claim]
	if !ok {
		return Running{}, false
	}
	return r.running[id].snapshot(), true
}

// Cancel ends action id's context (the console's cancel key). The action
// stops at its next step boundary or probe, reports OutcomeCancelled and
// releases its claims. It reports whether id was running.
func (r *Registry) Cancel(id int) bool {
	r.mu.Lock()
	e, ok := r.running[id]
	r.mu.Unlock()
	if ok {
		e.cancel()
	}
	return ok
}

func (e *entry) snapshot() Running {
	s := e.Running
	s.Targets = slices.Clone(e.Targets)
	s.Claims = slices.Clone(e.Claims)
	return s
}

// Claim names, as BusyError and Holding spell them.
func bundleClaim(name string) string   { return "bundle " + name }
func endpointClaim(name string) string { return "endpoint " + name }
func reloadClaim(name string) string   { return "reload " + name }

// BundleClaim and EndpointClaim are the names Holding takes.
func BundleClaim(name string) string   { return bundleClaim(name) }
func EndpointClaim(name string) string { return endpointClaim(name) }

func dedupe(claims []string) []string {
	slices.Sort(claims)
	return slices.Compact(claims)
}
