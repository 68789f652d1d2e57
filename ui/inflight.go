package ui

import (
	"fmt"
	"time"

	"certdeck/themes"

	"charm.land/lipgloss/v2"
)

// The actions in flight as the console shows them: the header says what
// runs and since when, the affected rows say how far it got ("verifying
// 2/3"). The board is fed by messages in Update (an action started, its
// progress, its end) and only read by View: cells look a row up in a map.

// Progress phases, as the engine reports them (ACTIONS.md).
const (
	phaseRunning     = "running"
	phaseVerifying   = "verifying"
	phaseVerified    = "verified"
	phaseFailed      = "failed"
	phaseRollingBack = "rolling back"
)

// actionProgress is one progress report of one action: Target is the
// endpoint it is about ("" for the action as a whole), Done of Total the
// endpoints verified so far.
type actionProgress struct {
	ID      int // the console's number for the action
	Subject string
	Target  string
	Phase   string
	Done    int
	Total   int
	Message string
}

// runningAction is one action in flight.
type runningAction struct {
	id      int
	kind    string // what runs: "reload", "publish → reload"
	subject string
	bundle  bool // subject is a bundle (else an endpoint)
	since   time.Time
	phase   string
	done    int
	total   int
	// targets are the endpoints it verifies, each with its last report.
	targets map[string]actionProgress
}

// progressState colours a row's progress text.
type progressState int

const (
	progressOn progressState = iota
	progressOK
	progressBad
)

// rowProgress is what an affected row shows instead of its usual cell.
type rowProgress struct {
	text  string
	state progressState
}

// actionBoard is every action in flight and what each affected row says.
type actionBoard struct {
	running   []*runningAction // oldest first
	endpoints map[string]rowProgress
	bundles   map[string]rowProgress
}

func newActionBoard() *actionBoard {
	return &actionBoard{endpoints: map[string]rowProgress{}, bundles: map[string]rowProgress{}}
}

// start records an action the console has just started; targets are the
// endpoints it will verify.
func (b *actionBoard) start(id int, kind, subject string, bundle bool, targets []string, now time.Time) {
	a := &runningAction{id: id, kind: kind, subject: subject, bundle: bundle, since: now, phase: phaseRunning,
		total: len(targets), targets: map[string]actionProgress{}}
	for _, t := range targets {
		a.targets[t] = actionProgress{ID: id, Subject: subject, Target: t, Phase: phaseRunning}
	}
	b.running = append(b.running, a)
	b.rebuild()
}

// apply folds progress reports in; reports of an action that ended are
// dropped (a late callback must not resurrect it).
func (b *actionBoard) apply(reports []actionProgress) {
	for _, p := range reports {
		a := b.find(p.ID)
		if a == nil {
			continue
		}
		if p.Total > 0 {
			a.done, a.total = p.Done, p.Total
		}
		switch {
		case p.Target == "" || p.Phase == phaseRollingBack:
			a.phase = p.Phase
			if p.Phase == phaseRollingBack {
				// The rollback leg verifies every endpoint again.
				for t := range a.targets {
					a.targets[t] = actionProgress{ID: p.ID, Target: t, Phase: phaseRollingBack}
				}
			}
		default:
			if a.phase == phaseRunning {
				a.phase = phaseVerifying
			}
			a.targets[p.Target] = p
		}
	}
	b.rebuild()
}

// end forgets an action: its result has landed as a flash and events.
func (b *actionBoard) end(id int) {
	for i, a := range b.running {
		if a.id == id {
			b.running = append(b.running[:i], b.running[i+1:]...)
			break
		}
	}
	b.rebuild()
}

func (b *actionBoard) find(id int) *runningAction {
	for _, a := range b.running {
		if a.id == id {
			return a
		}
	}
	return nil
}

// rebuild recomputes what each affected row says; the newest action on
// a row wins.
func (b *actionBoard) rebuild() {
	clear(b.endpoints)
	clear(b.bundles)
	for _, a := range b.running {
		count := fmt.Sprintf("%d/%d", a.done, a.total)
		if a.bundle {
			b.bundles[a.subject] = rowProgress{text: a.rowText(count)}
		}
		for t, p := range a.targets {
			rp := rowProgress{text: a.rowText(count)}
			switch p.Phase {
			case phaseVerified:
				rp = rowProgress{text: "verified (" + count + ")", state: progressOK}
			case phaseFailed:
				rp = rowProgress{text: "not verified: " + clean(p.Message), state: progressBad}
			case phaseVerifying:
				rp.text = "verifying " + count
				if p.Message != "" {
					rp.text += " · " + clean(p.Message)
				}
			}
			b.endpoints[t] = rp
		}
	}
}

// rowText is the action's phase as a row reads it.
func (a *runningAction) rowText(count string) string {
	switch a.phase {
	case phaseRunning:
		return clean(a.kind) + " running…"
	case phaseVerifying:
		return "verifying " + count
	case phaseRollingBack:
		return "rolling back…"
	}
	return a.phase + " " + count
}

// endpoint and bundle are a row's progress, if an action affects it.
func (b *actionBoard) endpoint(name string) (rowProgress, bool) {
	if len(b.endpoints) == 0 {
		return rowProgress{}, false
	}
	p, ok := b.endpoints[name]
	return p, ok
}

func (b *actionBoard) bundle(name string) (rowProgress, bool) {
	if len(b.bundles) == 0 {
		return rowProgress{}, false
	}
	p, ok := b.bundles[name]
	return p, ok
}

// headerText is what the header says runs: the oldest action, its phase
// and how long it has run, and how many others run.
func (b *actionBoard) headerText(now time.Time) string {
	if len(b.running) == 0 {
		return ""
	}
	a := b.running[0]
	s := fmt.Sprintf("▶ %s %s: %s · since %s (%s)", clean(a.kind), clean(a.subject),
		a.rowText(fmt.Sprintf("%d/%d", a.done, a.total)), a.since.Format(time.TimeOnly), formatAge(now.Sub(a.since)))
	if n := len(b.running) - 1; n > 0 {
		s += fmt.Sprintf(" (+%d more)", n)
	}
	return s
}

// progressStyle is the style of a row's progress text.
func progressStyle(st *themes.Styles, s progressState) *lipgloss.Style {
	switch s {
	case progressOK:
		return &st.OK
	case progressBad:
		return &st.Crit
	}
	return &st.Accent
}
