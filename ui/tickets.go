package ui

import (
	"strings"

	"certdeck/model"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// ticketsSection is the Ticket keys tab: each ticket_keys entry's key
// dir (format, the encrypting key's name and age, when the next rotation
// is due) and its pool (how many members encrypt with the current key),
// worst first. t rotates the selected entry (ticket_actions.go).
type ticketsSection struct {
	table[*model.TicketKeyState]
	con console

	digits int // tells apart every key name the tab shows
	names  []string
	seen   map[tailKey]string
}

// newTicketsSection is the Ticket keys tab, or nil when no ticket_keys
// entry is configured.
func newTicketsSection(ctx *Context, con console) Section {
	entries := ctx.State.TicketKeys()
	if len(entries) == 0 {
		return nil
	}
	s := &ticketsSection{con: con, digits: minSerialDigits, seen: map[tailKey]string{}}
	s.table = newTable(ctx, tableSpec[*model.TicketKeyState]{
		items: ctx.State.TicketKeys,
		rank:  (*model.TicketKeyState).Rank,
		group: func(*model.TicketKeyState) string { return "" },
		match: matchTicketFilter,
		empty: func(filtered bool) string {
			if filtered {
				return "no ticket key dir matches the filter (esc clears it)"
			}
			return "no ticket_keys configured"
		},
	}, s.columns(entries))
	s.Refresh()
	return s
}

func (s *ticketsSection) Name() string  { return "Ticket keys" }
func (s *ticketsSection) Title() string { return tabTitle(s.Name(), s.Len(), s.Counts()) }

func (s *ticketsSection) Refresh() {
	s.names = s.names[:0]
	for _, ts := range s.ctx.State.TicketKeys() {
		if ts.Facts != nil {
			for _, k := range ts.Facts.Keys {
				s.names = append(s.names, k.Name)
			}
		}
		for _, m := range ts.Pool {
			if m.KeyName != "" {
				s.names = append(s.names, m.KeyName)
			}
		}
	}
	s.digits = uniqueTails(s.names, minSerialDigits, s.seen)
	s.relayout()
	s.refresh()
}

func (s *ticketsSection) Selection() any {
	if ts, ok := s.selection(); ok {
		return ts
	}
	return nil
}

// HandleKey: movement, sort and marks; t rotates the selected entry's
// keys through the "(y/N)" dialog (read-only mode stops it earlier, at
// the root's one dispatch point).
func (s *ticketsSection) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if s.handleTableKey(msg) {
		return nil, true
	}
	if key.Matches(msg, s.ctx.Keys.RotateTickets) {
		ts, ok := s.selection()
		if !ok {
			s.con.setFlash("no ticket key dir selected")
			return nil, true
		}
		return s.con.rotateTickets(ts), true
	}
	return nil, false
}

func (s *ticketsSection) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.RotateTickets, k.Sort, k.Mark}
}

func (s *ticketsSection) FullHelp() [][]key.Binding {
	k := s.ctx.Keys
	return [][]key.Binding{{k.RotateTickets}, {k.Sort, k.SortReverse, k.Mark}}
}

type ticketCol = column[*model.TicketKeyState]

// columns of the tab; DIR takes what is left, cut in the middle.
func (s *ticketsSection) columns(entries []*model.TicketKeyState) []ticketCol {
	nameW := 4
	for _, ts := range entries {
		nameW = max(nameW, width(clean(ts.TicketKeys.Name)))
	}
	return []ticketCol{
		{title: "STATUS", width: 9, priority: 0, worst: true, descending: true,
			cell: func(r *rowCtx, ts *model.TicketKeyState) (string, *lipgloss.Style) {
				return statusLabel(ts.Verdict.Status), statusStyle(r.styles, ts.Verdict.Status)
			}},
		{title: "NAME", width: min(nameW, 24), priority: 1,
			compare: func(x, y *model.TicketKeyState) int { return strings.Compare(x.TicketKeys.Name, y.TicketKeys.Name) },
			cell: func(_ *rowCtx, ts *model.TicketKeyState) (string, *lipgloss.Style) {
				return clean(ts.TicketKeys.Name), nil
			}},
		{title: "FORMAT", width: 8, priority: 5,
			cell: func(_ *rowCtx, ts *model.TicketKeyState) (string, *lipgloss.Style) {
				return string(ts.TicketKeys.Format), nil
			}},
		{title: "ENCRYPTS", width: minSerialDigits + 1, priority: 2,
			cell: func(r *rowCtx, ts *model.TicketKeyState) (string, *lipgloss.Style) {
				if cur, ok := ts.Current(); ok {
					return serialLabel(cur.Name, s.digits), nil
				}
				return "-", &r.styles.Muted
			}},
		{title: "AGE", width: 5, priority: 3, right: true, compare: byKeyAge, descending: true,
			cell: func(r *rowCtx, ts *model.TicketKeyState) (string, *lipgloss.Style) {
				cur, ok := ts.Current()
				if !ok || cur.Since.IsZero() {
					return "-", &r.styles.Muted
				}
				age := r.now.Sub(cur.Since)
				switch every := ts.TicketKeys.RotateEvery; {
				case age > 2*every:
					return formatAge(age), &r.styles.Crit
				case age > every:
					return formatAge(age), &r.styles.Warn
				}
				return formatAge(age), nil
			}},
		{title: "NEXT DUE", width: 8, priority: 4, right: true,
			cell: func(r *rowCtx, ts *model.TicketKeyState) (string, *lipgloss.Style) {
				due, ok := ts.NextRotationDue()
				if !ok {
					return "-", &r.styles.Muted
				}
				if !due.After(r.now) {
					return "overdue", &r.styles.Warn
				}
				return "in " + formatAge(due.Sub(r.now)), nil
			}},
		{title: "POOL", width: 13, priority: 3,
			cell: func(r *rowCtx, ts *model.TicketKeyState) (string, *lipgloss.Style) {
				if p, ok := r.actions.ticket(ts.TicketKeys.Name); ok {
					return p.text, progressStyle(r.styles, p.state)
				}
				label := ts.SyncLabel()
				if label == "" {
					return "-", &r.styles.Muted
				}
				in, n := ts.Sync()
				if in < n {
					return label + " in sync", &r.styles.Warn
				}
				return label + " in sync", nil
			}},
		{title: "DIR", width: 12, flex: true, middle: true, priority: 6,
			cell: func(r *rowCtx, ts *model.TicketKeyState) (string, *lipgloss.Style) {
				return clean(ts.TicketKeys.Dir), &r.styles.Muted
			}},
	}
}

// byKeyAge puts the oldest encrypting key first.
func byKeyAge(x, y *model.TicketKeyState) int {
	cx, okx := x.Current()
	cy, oky := y.Current()
	switch {
	case okx && oky:
		return cx.Since.Compare(cy.Since)
	case okx:
		return -1
	case oky:
		return 1
	}
	return 0
}

// matchTicketFilter matches name, dir, format, status, the pool's
// members and the key names.
func matchTicketFilter(ts *model.TicketKeyState, words []string) bool {
	if len(words) == 0 {
		return true
	}
	tk := ts.TicketKeys
	fields := append([]string{tk.Name, tk.Dir, string(tk.Format), ts.Verdict.Status.String()}, tk.Serves...)
	if ts.Facts != nil {
		for _, k := range ts.Facts.Keys {
			fields = append(fields, k.Name)
		}
	}
	// A handful of rows: no search cache (filter.go) is worth keeping.
	return matchAllWords(strings.ToLower(strings.Join(fields, "\x00")), words)
}
