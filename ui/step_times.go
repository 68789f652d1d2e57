package ui

import (
	"slices"
	"strings"
	"time"

	"certdeck/model"
	"certdeck/rotate"
)

// An action's lines in the event log carry the time of their own step:
// the store's switch, each reload, each endpoint's verification, the
// rollback leg. The engine's reports carry no time, so the console
// stamps each with its own clock when it reads it (Update, on each
// progress message, and at the outcome): a publish verified for a
// minute no longer reads as published at its end.

// stampedStep is a step report and when the console read it.
type stampedStep struct {
	p  rotate.Progress
	at time.Time
}

// stampSteps reads the step reports waiting in the relay, at now.
func (m *Model) stampSteps() {
	now := m.ctx.Now()
	for _, s := range m.progress.takeSteps() {
		m.steps[s.key] = append(m.steps[s.key], stampedStep{p: s.p, at: now})
	}
}

// takeStepsOf returns the stamped reports of the action key and forgets
// them (it ended).
func (m *Model) takeStepsOf(key string) []stampedStep {
	m.stampSteps()
	s := m.steps[key]
	delete(m.steps, key)
	return s
}

// timedLines are out's event lines (texts, one per out.Lines(), as
// resultLines says them) stamped with when their step was reported, in
// time order; a line no report stands for (the result, an error) is
// stamped end.
func timedLines(out *rotate.Outcome, texts []string, steps []stampedStep, subject string, end time.Time) []model.Change {
	raw := out.Lines()
	used := make([]bool, len(steps))
	// after is the time of the first report after the one ok picks: a
	// store step is done when the action reports its next step.
	after := func(ok func(rotate.Progress) bool) (time.Time, bool) {
		for i, s := range steps {
			if ok(s.p) {
				if i+1 < len(steps) {
					return steps[i+1].at, true
				}
				return time.Time{}, false
			}
		}
		return time.Time{}, false
	}
	storeRunning := func(p rotate.Progress) bool {
		return p.Phase == rotate.PhaseRunning && (strings.HasPrefix(p.Message, "publish ") || strings.HasPrefix(p.Message, "roll back "))
	}
	rollingBack := func(p rotate.Progress) bool { return p.Phase == rotate.PhaseRollingBack }
	out2 := make([]model.Change, len(texts))
	for i, text := range texts {
		at, found := end, false
		var l string
		if i < len(raw) {
			l = raw[i]
		}
		switch {
		case out.Forward.Store != nil && l == out.Forward.Store.Describe():
			at, found = after(storeRunning)
		case out.Back != nil && out.Back.Store != nil && strings.TrimSpace(l) == out.Back.Store.Describe():
			at, found = after(rollingBack)
		case out.Back != nil && strings.HasPrefix(l, "automatic rollback"):
			for _, s := range steps {
				if rollingBack(s.p) {
					at, found = s.at, true
					break
				}
			}
		default:
			t := strings.TrimSpace(l)
			for j, s := range steps {
				if !used[j] && (s.p.Phase == rotate.PhaseVerified || s.p.Phase == rotate.PhaseFailed) && s.p.Message == t {
					at, found, used[j] = s.at, true, true
					break
				}
			}
		}
		if !found || at.After(end) {
			at = end
		}
		out2[i] = model.Change{Time: at, Subject: subject, Kind: model.ChangeAction, Message: text}
	}
	// The log reads in time order: an endpoint verified before another
	// one listed above it comes first; the result stays last.
	slices.SortStableFunc(out2, func(a, b model.Change) int { return a.Time.Compare(b.Time) })
	return out2
}
