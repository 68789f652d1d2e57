package ui

import (
	"fmt"

	"certdeck/model"
	"certdeck/rotate"

	tea "charm.land/bubbletea/v2"
)

// t on the Ticket keys tab: the rotation of a ticket_keys entry as a
// rotate.Action on the console's one engine, through the same plan →
// "(y/N)" → run → outcome path as x and P (fix.go): the dialog shows the
// engine's plan verbatim (the members phase 1 reloads, the files phase 2
// writes, its reloads, the key every member should then encrypt with),
// the rows show each member's phase while it runs, and the outcome goes
// to the flash and the event log.
func (m *Model) rotateTickets(ts *model.TicketKeyState) tea.Cmd {
	name := ts.TicketKeys.Name
	req := fixRequest{kind: rotate.KindTicketRotate, subject: name, claims: ticketClaims(ts.TicketKeys),
		build: func(e *rotate.Engine, _ bool) (rotate.Action, error) {
			return e.RotateTickets(rotate.TicketRotateRequest{Name: name})
		}}
	title := fmt.Sprintf("Rotate the session-ticket keys of %s: previous ← current, current ← next, next ← fresh", clean(name))
	if len(ts.TicketKeys.Serves) > 0 {
		title += fmt.Sprintf("; pool of %d: phase 1 confirms every member holds the next key, phase 2 promotes it", len(ts.TicketKeys.Serves))
	}
	return m.planFix(title, "rotate", []fixRequest{req}, nil)
}

// ticketLine is "ticket    edge-1: …3f2a → …9c01": the key the member
// was last seen encrypting with, and the key it should encrypt with after
// the rotation.
func (m *Model) ticketLine(t rotate.VerifyTarget) string {
	now := "unknown"
	if es := m.state.Endpoint(t.Endpoint); es != nil && es.Last != nil && es.Last.Ticket.KeyName != "" && !es.Last.Ticket.Opaque {
		now = model.ShortKeyName(es.Last.Ticket.KeyName)
	}
	return fmt.Sprintf("%-9s %s: encrypts with %s → %s", "ticket", t.Endpoint, now, model.ShortKeyName(t.Want))
}

// cmdRotateTickets is :rotate-tickets NAME: t on that ticket_keys entry.
func (m *Model) cmdRotateTickets(args []string) tea.Cmd {
	if len(args) != 1 {
		return m.usageError("rotate-tickets", "one ticket_keys NAME")
	}
	ts := m.state.TicketKey(args[0])
	if ts == nil {
		m.setError(fmt.Sprintf("rotate-tickets: no ticket_keys entry %q (configured: %s)", clean(args[0]), listNames(ticketEntries(m), 5)))
		return nil
	}
	return m.rotateTickets(ts)
}

// ticketEntries are the configured ticket_keys names, for completion.
func ticketEntries(m *Model) []string {
	var out []string
	for _, ts := range m.state.TicketKeys() {
		out = append(out, ts.TicketKeys.Name)
	}
	return out
}
