package ui

import (
	"sync"

	"certdeck/rotate"

	tea "charm.land/bubbletea/v2"
)

// progressRelay carries action progress into the program. The engine
// reports from the goroutine running the action; a report never blocks
// it (a slow screen must not slow a verification): it leaves a wake-up
// token, and a Cmd waiting for the token returns one progressMsg, on
// which Update reads the engine's in-flight registry. This is the events
// relay's pattern: never Program.Send from Update.
//
// The registry keeps each action's latest report per target, so it
// cannot tell the rollback leg's reports from the forward leg's; the
// relay remembers, per action, how far its automatic rollback got.
type progressRelay struct {
	mu   sync.Mutex
	back map[string]*backLeg // by actionKey(kind, subject)
	wake chan struct{}       // one buffered token: something was reported
	// steps are the reports of steps (not every probe of a verification)
	// that Update has not read yet: it stamps each with the console's
	// clock, so the event log says when each step happened, not when the
	// action ended (step_times.go).
	steps []keyedProgress
}

// keyedProgress is one report and the action it belongs to.
type keyedProgress struct {
	key string
	p   rotate.Progress
}

// maxPendingSteps bounds the reports waiting for Update; past it the
// newest are dropped (their lines are then stamped with the action's end).
const maxPendingSteps = 4096

// backLeg is how far an action's automatic rollback got: started (the
// store rolls back, the reloads run again), verifying, and which
// endpoints reported in its verification.
type backLeg struct {
	verifying bool
	targets   map[string]bool
}

// progressMsg says progress was reported since the last one.
type progressMsg struct{}

func newProgressRelay() *progressRelay {
	return &progressRelay{back: map[string]*backLeg{}, wake: make(chan struct{}, 1)}
}

// actionKey names an action in flight as the registry does: two
// actions on one subject never run at once (the registry's claims).
func actionKey(kind, subject string) string { return kind + " " + subject }

// reporter is the progress callback of one action of kind; safe from any
// goroutine.
func (r *progressRelay) reporter(kind string) func(rotate.Progress) {
	return func(p rotate.Progress) {
		key := actionKey(kind, p.Subject)
		r.mu.Lock()
		b := r.back[key]
		switch {
		case p.Phase == rotate.PhaseRollingBack:
			r.back[key] = &backLeg{targets: map[string]bool{}}
		case b == nil:
		case p.Target == "" && p.Phase == rotate.PhaseVerifying:
			b.verifying = true
		case b.verifying && p.Target != "":
			b.targets[p.Target] = true
		}
		// A verification probes with backoff and reports every probe;
		// only its final word on an endpoint is a step.
		if (p.Target == "" || p.Phase != rotate.PhaseVerifying) && len(r.steps) < maxPendingSteps {
			r.steps = append(r.steps, keyedProgress{key: key, p: p})
		}
		r.mu.Unlock()
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// rollback is how far the action's automatic rollback got (nil: it has
// none running); a copy.
func (r *progressRelay) rollback(key string) *backLeg {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.back[key]
	if b == nil {
		return nil
	}
	c := &backLeg{verifying: b.verifying, targets: make(map[string]bool, len(b.targets))}
	for t := range b.targets {
		c.targets[t] = true
	}
	return c
}

// takeSteps returns the step reports not read yet, oldest first.
func (r *progressRelay) takeSteps() []keyedProgress {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.steps
	r.steps = nil
	return s
}

// forget drops what the relay knows of an action that ended.
func (r *progressRelay) forget(key string) {
	r.mu.Lock()
	delete(r.back, key)
	r.mu.Unlock()
}

// wait is the Cmd that returns at the next report; Update issues it
// again after each. It returns nil when the program is exiting.
func (r *progressRelay) wait(done <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-r.wake:
			return progressMsg{}
		case <-done:
			return nil
		}
	}
}

// waitProgress is the relay's next wait. Without a Done channel (tests
// that build the model bare) nothing would end the wait: the clock's
// tick still refreshes the in-flight view every second.
func (m *Model) waitProgress() tea.Cmd {
	if m.opts.Done == nil {
		return nil
	}
	return m.progress.wait(m.opts.Done)
}

// refreshActions reads the engine's registry into the in-flight board.
// It runs in Update (a mutex and a copy of a few entries, no I/O).
func (m *Model) refreshActions() {
	m.ctx.Actions.set(m.opts.Engine.Registry().Snapshot(), m.progress.rollback)
}
