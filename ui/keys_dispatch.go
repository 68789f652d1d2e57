package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// handleKey is the one dispatch point for key presses: quit first (it
// works in every state), then the too-small screen, then the mode.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	if m.tooSmall() {
		if key.Matches(msg, k.Quit) {
			return tea.Quit
		}
		return nil
	}
	// The one place read-only mode stops actions that change the world
	// (the bindings are also disabled, which hides them from help).
	if m.ctx.ReadOnly && m.mode != modeFilter && m.mode != modeConfirm && matchesAny(msg, k.Mutating) {
		return nil
	}
	if m.flashErr && m.mode != modeConfirm && key.Matches(msg, k.Back) {
		m.flash, m.flashErr = "", false
		return nil
	}
	switch m.mode {
	case modeConfirm:
		return m.keyConfirm(msg)
	case modeFilter:
		return m.keyFilter(msg)
	case modeHelp:
		return m.keyHelp(msg)
	case modeDetail:
		return m.keyDetail(msg)
	case modeEvents:
		return m.keyEvents(msg)
	default:
		return m.keyNormal(msg)
	}
}

// keyNormal: the active section first, then global keys.
func (m *Model) keyNormal(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	if cmd, ok := m.sections[m.active].HandleKey(m, msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.relayout()
	case key.Matches(msg, k.Back):
		m.setFilter("")
	case key.Matches(msg, k.Detail):
		if m.sections[m.active].Selected() != "" {
			m.mode = modeDetail
			m.detailScroll = 0
			m.relayout()
		}
	case key.Matches(msg, k.Events):
		m.mode = modeEvents
		m.eventScroll = 0
		m.relayout()
	case key.Matches(msg, k.NextSection):
		m.active = (m.active + 1) % len(m.sections)
	default:
		return m.keyCommon(msg)
	}
	return nil
}

// keyCommon holds keys that work in normal, detail and event modes.
func (m *Model) keyCommon(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	switch {
	case key.Matches(msg, k.Probe):
		if es := m.selected(); es != nil {
			return m.trigger(es.Endpoint.Name)
		}
		if bs := m.selectedBundle(); bs != nil {
			m.setFlash("re-reading " + clean(bs.Bundle.Name) + " and probing the endpoints it serves")
			return m.recheckBundle(bs.Bundle, 0)
		}
	case key.Matches(msg, k.ProbeAll):
		return m.trigger()
	case key.Matches(msg, k.Copy):
		return m.copySelected(false)
	case key.Matches(msg, k.CopyFingerprint):
		return m.copySelected(true)
	case key.Matches(msg, k.Publish):
		return m.startAction("publish")
	case key.Matches(msg, k.Rollback):
		return m.startAction("rollback")
	}
	return nil
}

// keyFilter edits the filter; every printable key is text here (so `q`
// can be typed), ctrl+c still quits, enter keeps the filter, esc clears.
func (m *Model) keyFilter(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.mode = modeNormal
		m.setFilter("")
		m.relayout()
	case "enter":
		m.mode = modeNormal
		m.relayout()
	case "backspace":
		if r := []rune(m.filterText); len(r) > 0 {
			m.setFilter(string(r[:len(r)-1]))
		}
	case "ctrl+u":
		m.setFilter("")
	case "space":
		m.setFilter(m.filterText + " ")
	default:
		if msg.Text != "" && !strings.ContainsFunc(msg.Text, isControl) {
			m.setFilter(m.filterText + msg.Text)
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func (m *Model) setFilter(s string) {
	m.filterText = s
	m.fleet.filter = filterWords(s)
	m.fleet.Refresh(m)
	if m.bundles != nil {
		m.bundles.Refresh(m)
	}
}

func (m *Model) keyHelp(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help), key.Matches(msg, k.Back):
		m.mode = modeNormal
	}
	return nil
}

// keyDetail: the cursor still moves (the pane follows it), ctrl+d/u
// scroll the pane, esc or enter closes it.
func (m *Model) keyDetail(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Back), key.Matches(msg, k.Detail):
		m.mode = modeNormal
		m.relayout()
	case key.Matches(msg, k.Up):
		m.moveCursor(-1)
		m.detailScroll = 0
	case key.Matches(msg, k.Down):
		m.moveCursor(1)
		m.detailScroll = 0
	case key.Matches(msg, k.PageDown):
		m.detailScroll += 5
	case key.Matches(msg, k.PageUp):
		m.detailScroll = max(0, m.detailScroll-5)
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	default:
		return m.keyCommon(msg)
	}
	return nil
}

// keyEvents: j/k scroll the log, esc or l closes it.
func (m *Model) keyEvents(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Back), key.Matches(msg, k.Events):
		m.mode = modeNormal
		m.relayout()
	case key.Matches(msg, k.Up):
		m.eventScroll = min(m.eventScroll+1, max(0, m.ring.Len()-1))
	case key.Matches(msg, k.Down):
		m.eventScroll = max(0, m.eventScroll-1)
	case key.Matches(msg, k.Bottom):
		m.eventScroll = 0
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	default:
		if cmd, ok := m.sections[m.active].HandleKey(m, msg); ok {
			return cmd
		}
		return m.keyCommon(msg)
	}
	return nil
}

// matchesAny is key.Matches over pointers, ignoring whether a binding is
// enabled: read-only must hold even if a binding was re-enabled.
func matchesAny(msg tea.KeyPressMsg, bindings []*key.Binding) bool {
	for _, b := range bindings {
		for _, k := range b.Keys() {
			if msg.String() == k {
				return true
			}
		}
	}
	return false
}
