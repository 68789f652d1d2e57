package ui

import tea "charm.land/bubbletea/v2"

// fix is x (and :reload) on a batch of bundles and endpoints.
func (m *Model) fix(items []any) tea.Cmd {
	m.setError("fix: no action engine attached")
	return nil
}
