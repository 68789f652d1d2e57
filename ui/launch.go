package ui

import (
	"slices"
	"time"

	"certdeck/rotate"

	tea "charm.land/bubbletea/v2"
)

// The actions the console started and whose outcome has not reached
// Update yet. The engine's registry holds an action only between its
// claim and its release, while the console must know from y to the
// outcome: q asks before quitting while any is in flight (quit.go), and
// the drift of what one covers is not news until it has landed
// (drift_hold.go).

// launch is one action started with y.
type launch struct {
	kind, subject string
	bundle        string // the bundle it acts on ("" for endpoints or ticket keys)
	// oldVersion and newVersion are the store change its plan showed
	// (publish, rollback), for what a cancel leaves.
	oldVersion, newVersion string
	claims                 []string // what it holds, as the registry spells it
	since                  time.Time
}

// startLaunch records l as started and returns its id, which its
// outcome message carries back.
func (m *Model) startLaunch(l launch) int {
	m.nextLaunch++
	m.launched[m.nextLaunch] = &l
	return m.nextLaunch
}

// landLaunch forgets launch id: its outcome has reached Update.
func (m *Model) landLaunch(id int) *launch {
	l := m.launched[id]
	delete(m.launched, id)
	return l
}

// landed is an action's outcome reaching Update, after its flash and
// event lines (cmd is what those asked for): it is no longer in flight,
// the drift lines it held back are released, and while quitting the
// last one to land quits.
func (m *Model) landed(id int, out *rotate.Outcome, err error, cmd tea.Cmd) tea.Cmd {
	l := m.landLaunch(id)
	m.releaseDrift(out)
	return m.quitLanded(id, l, out, err, cmd)
}

// launchesInOrder are the actions in flight, oldest first.
func (m *Model) launchesInOrder() []*launch { return launchesOf(m.launched) }

// launchesOf are the launches of set, oldest first.
func launchesOf(set map[int]*launch) []*launch {
	ids := make([]int, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*launch, len(ids))
	for i, id := range ids {
		out[i] = set[id]
	}
	return out
}

// running is l as the engine's registry holds it (false before its
// claim, or after its release).
func (m *Model) running(l *launch) (rotate.Running, bool) {
	reg := m.opts.Engine.Registry()
	for _, c := range l.claims {
		if r, ok := reg.Holding(c); ok && r.Kind == l.kind {
			return r, true
		}
	}
	return rotate.Running{}, false
}

// covered reports whether an action in flight holds claim (or the
// registry has one that does).
func (m *Model) covered(claim string) bool {
	for _, l := range m.launched {
		if slices.Contains(l.claims, claim) {
			return true
		}
	}
	_, ok := m.opts.Engine.Registry().Holding(claim)
	return ok
}
