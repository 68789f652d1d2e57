package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// trigger asks the scheduler for an immediate probe. Trigger never
// blocks, but it still runs in a Cmd: Update calls nothing outside.
func (m *Model) trigger(names ...string) tea.Cmd {
	if m.opts.Prober == nil {
		m.setFlash("no prober attached: cannot re-probe")
		return nil
	}
	switch len(names) {
	case 0:
		m.setFlash("re-probing all endpoints")
	case 1:
		m.setFlash("re-probing " + clean(names[0]))
	default:
		shown := make([]string, len(names))
		for i, n := range names {
			shown[i] = clean(n)
		}
		m.setFlash(fmt.Sprintf("re-probing %d endpoints (%s)", len(names), listNames(shown, 4)))
	}
	p := m.opts.Prober
	return func() tea.Msg {
		p.Trigger(names...)
		return nil
	}
}
