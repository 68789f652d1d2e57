package ui

import "charm.land/bubbles/v2/key"

// KeyMap holds every binding; help and footers are generated from it, so
// what they show is what the keys do. Sections pick the bindings they
// handle for their own help (Section.ShortHelp, FullHelp).
//
// g/G go to top/bottom as in less and k9s; grouping by the `group` field
// is on `o` ("organise"), because DESIGN's navigation keys claim g.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom         key.Binding
	Detail, Back, Filter, Help, Events, NextSection key.Binding
	// ScrollDown and ScrollUp scroll the detail pane (ctrl+d/u there).
	ScrollDown, ScrollUp     key.Binding
	Sort, SortReverse, Group key.Binding
	Probe, ProbeAll, Reread  key.Binding
	Copy, CopyFingerprint    key.Binding
	// Mark marks the row for a batch; Command opens the `:` line.
	Mark, Command key.Binding
	// Fix reloads and verifies (x); PublishReload publishes, reloads and
	// verifies in one step (P).
	Publish, Rollback, Fix, PublishReload key.Binding
	// RotateTickets rotates a ticket_keys entry's keys (t, Ticket keys tab).
	RotateTickets key.Binding
	Quit          key.Binding
	// Mutating lists bindings that change the world (rotate, reload).
	// Read-only mode disables them at one place (dispatch) and hides them
	// from help.
	Mutating []*key.Binding
}

// DefaultKeys is the keymap of DESIGN's console conventions. Help texts
// are short: footers must fit 80 columns with `? help` and `q quit` in.
func DefaultKeys() *KeyMap {
	k := &KeyMap{
		Up:              key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:            key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		PageUp:          key.NewBinding(key.WithKeys("ctrl+u", "pgup"), key.WithHelp("ctrl+u", "half page up")),
		PageDown:        key.NewBinding(key.WithKeys("ctrl+d", "pgdown"), key.WithHelp("ctrl+d", "half page down")),
		Top:             key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:          key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Detail:          key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "detail")),
		Back:            key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear marks, filter")),
		Filter:          key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Help:            key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Events:          key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "event log")),
		NextSection:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		ScrollDown:      key.NewBinding(key.WithKeys("ctrl+d", "pgdown"), key.WithHelp("ctrl+d", "scroll detail down")),
		ScrollUp:        key.NewBinding(key.WithKeys("ctrl+u", "pgup"), key.WithHelp("ctrl+u", "scroll detail up")),
		Sort:            key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		SortReverse:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		Group:           key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "group")),
		Probe:           key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-probe")),
		ProbeAll:        key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "re-probe all")),
		Reread:          key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-read + re-probe")),
		Copy:            key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy serial")),
		CopyFingerprint: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "copy SHA-256")),
		Mark:            key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
		Command:         key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
		Quit:            key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Publish:         key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "publish")),
		Rollback:        key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "roll back")),
		Fix:             key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "fix: reload + verify")),
		PublishReload:   key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "publish + reload")),
		RotateTickets:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "rotate ticket keys")),
	}
	k.Mutating = []*key.Binding{&k.Publish, &k.Rollback, &k.Fix, &k.PublishReload, &k.RotateTickets}
	return k
}

// SetReadOnly disables every mutating binding, which also drops it from
// help (bubbles' help skips disabled bindings).
func (k *KeyMap) SetReadOnly(ro bool) {
	for _, b := range k.Mutating {
		b.SetEnabled(!ro)
	}
}
