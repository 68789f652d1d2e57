package ui

import tea "charm.land/bubbletea/v2"

// trigger asks the scheduler for an immediate probe. Trigger never
// blocks, but it still runs in a Cmd: Update calls nothing outside.
func (m *Model) trigger(names ...string) tea.Cmd {
	if m.opts.Prober == nil {
		m.setFlash("no prober attached: cannot re-probe")
		return nil
	}
	if len(names) == 0 {
		m.setFlash("re-probing all endpoints")
	} else {
		m.setFlash("re-probing " + clean(names[0]))
	}
	p := m.opts.Prober
	return func() tea.Msg {
		p.Trigger(names...)
		return nil
	}
}
