package ui

import (
	"fmt"

	"certdeck/model"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
)

// Section is one tab of the console body (soft-serve's Component, gh-dash's
// Section): it owns its keymap, size, filter, sort, detail and help. The
// root model keeps a slice of sections, lays them out, routes keys to the
// active one and draws the chrome around it; it knows no section by type,
// so a new tab is one line in New.
type Section interface {
	// ShortHelp lists the section's own keys for the footer, most useful
	// first; FullHelp its columns on the ? screen. The root adds the keys
	// every screen shares.
	help.KeyMap
	// Name is the section's name ("Bundles"), for messages.
	Name() string
	// Title is the tab label: the name, how many rows, and the non-OK
	// counts, so an inactive tab still says "look here".
	Title() string
	// Counts, Len and Summary feed the header: each tab counts its own rows.
	Counts() statusCounts
	Len() int
	Summary() tableSummary
	// SetSize, SetFilter and Refresh run in Update; View only reads.
	SetSize(w, h int)
	SetFilter(words []string)
	// Refresh rebuilds the rows after the state changed.
	Refresh()
	// HandleKey handles a key meant for the section; handled=false lets
	// the root try the keys every screen shares.
	HandleKey(msg tea.KeyPressMsg) (cmd tea.Cmd, handled bool)
	// View renders exactly w x h cells (only the rows on screen).
	View(w, h int) []string
	// Selection is the item under the cursor (*model.EndpointState,
	// *model.BundleState, …), nil when there is none: an action that
	// applies to one kind of item asserts its type.
	Selection() any
	// Detail is the detail pane of the selection, unwrapped (the root
	// wraps, scrolls and cuts it); nil when nothing is selected.
	Detail() []detailLine
	// Marked is the rows marked with space (the section's own marks), in
	// display order; a batch (x, r, c) acts on them, else on the
	// selection. ClearMarks unmarks them all and reports whether any was
	// marked (esc).
	Marked() []any
	ClearMarks() bool
}

// tabTitle is "Bundles 3 ▲1 WARN": name, rows, and each non-OK count.
func tabTitle(name string, total int, c statusCounts) string {
	s := fmt.Sprintf("%s %d", name, total)
	for _, st := range model.AllStatuses {
		if n := c[st]; n > 0 && st != model.OK {
			s += fmt.Sprintf(" %s%d %s", st.Glyph(), n, st)
		}
	}
	return s
}
