package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"certdeck/rotate"
	"certdeck/ui"
)

// TestQuitWhileActionsRanExitsNonZeroAndSaysWhatTheyLeft: the console
// quit while actions ran (ui.QuitReport); its lines go to stderr and
// the exit status is the worst of what they left, as `certdeck reload`
// would exit: a publish cancelled after its switch is not verified (4),
// one cancelled before it changed nothing (1), an action that said
// nothing in time left what is served unknown (4); only actions that
// all finished exit 0.
func TestQuitWhileActionsRanExitsNonZeroAndSaysWhatTheyLeft(t *testing.T) {
	switched := &rotate.Outcome{Kind: rotate.KindPublish, State: rotate.OutcomeCancelled, Forward: rotate.Leg{Store: &rotate.Result{}}}
	before := &rotate.Outcome{Kind: rotate.KindPublish, State: rotate.OutcomeCancelled}
	done := &rotate.Outcome{Kind: rotate.KindReload, State: rotate.OutcomeOK}
	for _, c := range []struct {
		name string
		r    ui.QuitReport
		code int
	}{
		{"cancelled after the switch", ui.QuitReport{Outcomes: []*rotate.Outcome{done, switched}}, actionNotVerified},
		{"cancelled before it", ui.QuitReport{Outcomes: []*rotate.Outcome{before}}, storeRefused},
		{"no outcome in time", ui.QuitReport{Outcomes: []*rotate.Outcome{done}, Unfinished: []string{"publish api"}}, actionNotVerified},
		{"all finished", ui.QuitReport{Outcomes: []*rotate.Outcome{done}}, 0},
	} {
		c.r.Lines = []string{"publish api: cancelled by you: v0005 is current, 0/1 verified (api last served 1000); b rolls back to v0004"}
		var stderr bytes.Buffer
		err := quitExit(&stderr, &c.r)
		code := 0
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if code != c.code {
			t.Errorf("%s: exit %d, want %d", c.name, code, c.code)
		}
		if !strings.Contains(stderr.String(), "\n  "+c.r.Lines[0]+"\n") {
			t.Errorf("%s: stderr does not say what it left:\n%s", c.name, stderr.String())
		}
	}
}
