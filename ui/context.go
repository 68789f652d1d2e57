package ui

import (
	"time"

	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// Context is what every component shares (gh-dash's ProgramContext):
// screen size, styles built once from the theme and their paints, the
// keymap, the read-only flag, the clock, and what sections read of the
// fleet. Passing it explicitly (instead of globals) lets tests fix the
// clock and size.
type Context struct {
	Width, Height int
	Styles        *themes.Styles
	Paints        paints // the escape sequences of Styles, rebuilt with them
	Keys          *KeyMap
	ReadOnly      bool
	Now           func() time.Time

	// State is the fleet as known; sections read it, and only the root
	// model's applyBatch changes it.
	State *model.State
	// Events is the event log; ChangedAt is when each endpoint's served
	// serial last changed (the SERIAL cell is highlighted for a while).
	Events    *eventRing
	ChangedAt map[string]time.Time
	// Actions are the actions in flight and what each affected row says.
	Actions *actionBoard
}

// console is what a section may ask of the root model: the flash line,
// and the commands that reach outside (re-probe, re-read a bundle,
// publish, rollback, fix, publish + reload). *Model implements it; a
// section never holds the root model itself.
type console interface {
	setFlash(text string)
	trigger(names ...string) tea.Cmd
	recheckBundle(b model.Bundle, delay time.Duration) tea.Cmd
	startAction(action string) tea.Cmd
	// fix is x on a batch of *model.EndpointState or *model.BundleState.
	fix(items []any) tea.Cmd
	publishReload(bs *model.BundleState) tea.Cmd
	// rotateTickets is t on a ticket_keys entry (ticket_actions.go).
	rotateTickets(ts *model.TicketKeyState) tea.Cmd
}
