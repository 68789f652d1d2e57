package ui

import (
	tea "charm.land/bubbletea/v2"
)

// Section is one tab of the console body. The fleet table is the first;
// later issues add Bundles and ticket keys as further sections without
// touching the root model: it keeps a slice of sections, `tab` moves
// between them, and normal-mode keys it does not handle itself go to the
// active section.
type Section interface {
	Title() string
	// Refresh rebuilds derived view state after model.State changed.
	Refresh(m *Model)
	// HandleKey handles a normal-mode key; handled=false lets the root
	// model try its global keys.
	HandleKey(m *Model, msg tea.KeyPressMsg) (cmd tea.Cmd, handled bool)
	// View renders exactly w x h cells (only visible rows).
	View(m *Model, w, h int) []string
	// Selected names the selected item ("" when none), for the detail pane.
	Selected() string
}
