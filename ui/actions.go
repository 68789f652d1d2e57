package ui

import (
	"fmt"

	"certdeck/model"

	tea "charm.land/bubbletea/v2"
)

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

// copySelected puts the selected leaf's serial (or SHA-256 fingerprint)
// on the clipboard with OSC 52, which works over SSH.
func (m *Model) copySelected(fingerprint bool) tea.Cmd {
	es := m.selected()
	if es == nil {
		return nil
	}
	leaf := servedLeaf(es)
	if leaf == nil {
		m.setFlash("nothing to copy: no certificate seen on " + clean(es.Endpoint.Name))
		return nil
	}
	what, val := "serial", leaf.Serial
	if fingerprint {
		what, val = "SHA-256", leaf.SHA256
	}
	m.setFlash(fmt.Sprintf("copied %s %s of %s (OSC 52)", what, model.ShortSerial(val), clean(es.Endpoint.Name)))
	return tea.SetClipboard(val)
}
