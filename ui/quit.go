package ui

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"certdeck/model"
	"certdeck/rotate"

	tea "charm.land/bubbletea/v2"
)

// Quitting while actions run. A stray q (the dialogs' footer says q
// cancels them) must not abandon a publish between its switch and its
// verification, silently and with exit status 0. So q, :q and ctrl+c
// quit at once only when nothing is in flight; otherwise they ask, and
// y (or a second ctrl+c) cancels every action, waits a bounded time for
// what each left, and quits; Run returns a *QuitReport, which the CLI
// prints on stderr once the terminal is restored, with a non-zero exit
// status unless each had finished. While it waits, ctrl+c quits at once
// (what did not land is reported as not known). :q! skips the question.

// quitWait bounds the wait for the cancelled actions' outcomes: a
// cancelled action stops at its next step or probe (a reload's command
// is killed, a probe has its own timeout), and writes its audit line.
const quitWait = 10 * time.Second

// quitState is the console quitting: the cancelled actions still to
// land, and what those that landed left.
type quitState struct {
	pending map[int]*launch
	landed  []landedAction
}

// landedAction is one cancelled action's outcome (out is nil when no
// action could be built: err says why).
type landedAction struct {
	l   *launch
	out *rotate.Outcome
	err error
}

// quitTimeoutMsg ends the wait for outcomes.
type quitTimeoutMsg struct{}

// requestQuit is q and :q: quit, or ask first while actions run.
func (m *Model) requestQuit() tea.Cmd {
	if len(m.launched) == 0 {
		return tea.Quit
	}
	m.openConfirm(m.quitDialog())
	return nil
}

// interrupt is ctrl+c: the first asks as q does (when something runs),
// the second (in the question, or while waiting) no longer asks.
func (m *Model) interrupt() tea.Cmd {
	switch {
	case m.quitting != nil:
		return tea.Quit
	case m.confirm != nil && m.confirm.quit:
		m.closeConfirm()
		return m.beginQuit()
	}
	return m.requestQuit()
}

// quitDialog asks, for each action in flight, whether to abandon it,
// saying since when it runs, how far it got and what a cancel leaves.
func (m *Model) quitDialog() *confirmDialog {
	ls := m.launchesInOrder()
	lines := []string{fmt.Sprintf("Quit while %s?", countWord(len(ls), "action runs", "actions run"))}
	for _, l := range ls {
		since, phase := l.since, "starting"
		r, ok := m.running(l)
		if ok {
			since, phase = r.Started, actionPhase(r, m.progress.rollback(actionKey(r.Kind, r.Subject)))
		}
		lines = append(lines,
			fmt.Sprintf("%s %s is running (since %s): %s", l.kind, l.subject, since.Format(time.TimeOnly), phase),
			"  quit anyway? it is cancelled and left as "+leftAs(l, r, ok))
	}
	lines = append(lines, "", fmt.Sprintf("y cancels, waits up to %s for what each left, and prints it after the console closes, "+
		"with a failing exit status unless each had finished", quitWait))
	return &confirmDialog{lines: lines, verb: "quit", quit: true, yes: (*Model).beginQuit}
}

// leftAs is what cancelling l now leaves, as far as the console can
// tell before its outcome says it exactly.
func leftAs(l *launch, r rotate.Running, registered bool) string {
	if !registered {
		return "it is: it has not started (nothing changes)"
	}
	// Past its store step, an action has reported more than that step.
	switched := r.Total > 0 || len(r.Targets) > 1 || len(r.Targets) == 1 && r.Phase != rotate.PhaseRunning
	switch l.kind {
	case rotate.KindPublish, rotate.KindRollback:
		if l.newVersion == "" || l.oldVersion == "" {
			break
		}
		back := "b rolls back to " + l.oldVersion
		if l.kind == rotate.KindRollback {
			back = fmt.Sprintf(":rollback %s %s returns to it", l.bundle, l.oldVersion)
		}
		if switched {
			return fmt.Sprintf("%s current, not verified (%s)", l.newVersion, back)
		}
		return fmt.Sprintf("%s current if its switch has run, not verified (%s), else %s unchanged", l.newVersion, back, l.bundle)
	case rotate.KindReload:
		return "its reloads as far as they ran, the endpoints not verified (x runs it again)"
	}
	return "it stands when it stops (its outcome says where)"
}

// beginQuit is y to the question: cancel everything in flight (plans
// too: their contexts end with m.stop) and wait for the outcomes.
func (m *Model) beginQuit() tea.Cmd {
	if len(m.launched) == 0 {
		return tea.Quit // they landed while the question was open
	}
	if m.quitting != nil {
		return nil
	}
	m.quitting = &quitState{pending: maps.Clone(m.launched)}
	close(m.stop)
	return tea.Tick(quitWait, func(time.Time) tea.Msg { return quitTimeoutMsg{} })
}

// quitLanded notes launch l's outcome while quitting (after its usual
// flash and event lines, cmd): the last one to land quits.
func (m *Model) quitLanded(id int, l *launch, out *rotate.Outcome, err error, cmd tea.Cmd) tea.Cmd {
	q := m.quitting
	if q == nil || l == nil {
		return cmd
	}
	q.landed = append(q.landed, landedAction{l: l, out: out, err: err})
	delete(q.pending, id)
	if len(q.pending) == 0 {
		return tea.Batch(cmd, tea.Quit)
	}
	return cmd
}

// quittingLine is the footer while the console waits for outcomes.
func (m *Model) quittingLine() string {
	return fmt.Sprintf("quitting: cancelled, waiting up to %s for %s to say what it left · ctrl+c quits now",
		quitWait, countWord(len(m.quitting.pending), "action", "actions"))
}

// countWord is "1 action", "3 actions".
func countWord(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// QuitReport is what the console leaves for the shell when it was quit
// while actions ran: Run returns it (as its error) after the terminal is
// restored, for the CLI to print on stderr and to map to an exit status.
type QuitReport struct {
	// Outcomes are the cancelled actions' outcomes, in the order they
	// landed (an action that finished before the cancel reached it has
	// its ordinary outcome).
	Outcomes []*rotate.Outcome
	// Failed are actions that ended with no outcome (one that could not
	// be built), Unfinished those whose outcome did not arrive in time:
	// what they left is not known.
	Failed, Unfinished []string
	// Lines say all of it in words, sanitised, as the event log would:
	// what each ran, each endpoint, its result and what to do now.
	Lines []string
}

func (r *QuitReport) Error() string { return strings.Join(r.Lines, "\n") }

// QuitReport is what quitting left for the shell; nil when the console
// was not quit while actions ran.
func (m *Model) QuitReport() *QuitReport {
	q := m.quitting
	if q == nil {
		return nil
	}
	r := &QuitReport{}
	for _, a := range q.landed {
		if a.out == nil {
			text := fmt.Sprintf("%s %s failed: %s", a.l.kind, a.l.subject, inWords(a.err.Error()))
			r.Failed = append(r.Failed, a.l.kind+" "+a.l.subject)
			r.Lines = append(r.Lines, model.Sanitize(text))
			continue
		}
		r.Outcomes = append(r.Outcomes, a.out)
		for _, l := range resultLines(a.out, true) {
			r.Lines = append(r.Lines, model.Sanitize(l))
		}
	}
	for _, l := range launchesOf(q.pending) {
		r.Unfinished = append(r.Unfinished, l.kind+" "+l.subject)
		r.Lines = append(r.Lines, model.Sanitize(fmt.Sprintf("%s %s: cancelled, but it said nothing within %s: what it left is not known "+
			"(certdeck check shows what is served; the audit log has its line once it ends)", l.kind, l.subject, quitWait)))
	}
	return r
}
