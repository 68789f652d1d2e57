package ui

import (
	"certdeck/model"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// handleKey is the one dispatch point for key presses: quit first (it
// works in every state), then the too-small screen, then the mode.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	if msg.String() == "ctrl+c" {
		return m.interrupt()
	}
	if m.quitting != nil {
		return nil // the footer says what it waits for, and that ctrl+c quits now
	}
	if next, ok := escThen(msg); ok {
		first := m.handleKey(tea.KeyPressMsg{Code: tea.KeyEscape})
		return tea.Batch(first, m.handleKey(next))
	}
	if m.tooSmall() {
		switch {
		case m.mode == modeConfirm && m.confirm != nil && m.confirm.quit:
			return m.keyConfirm(msg) // the too-small screen asks it too
		case key.Matches(msg, k.Quit):
			return m.requestQuit()
		}
		return nil
	}
	// The one place read-only mode stops what changes the world: a
	// mutating key, or a `:` command doing a mutating key's work (the
	// bindings are also disabled, which hides them from help).
	if m.ctx.ReadOnly {
		if what := m.mutation(msg); what != "" {
			if m.mode == modeCommand {
				m.remember(strings.TrimSpace(m.cmd.text))
				m.closeCommand()
			}
			if why := m.opts.ReadOnlyReason; why != "" {
				// What is disabled first, so a cut line keeps it; the
				// reason, with its fix, whole in the event log.
				s := fmt.Sprintf("read-only console: %s is disabled: %s", what, why)
				m.setFlash(s)
				m.logFlash("", model.ChangeAction, s)
			} else {
				m.setFlash(fmt.Sprintf("read-only console: %s is disabled", what))
			}
			return nil
		}
	}
	if m.mode != modeConfirm && m.mode != modeCommand && key.Matches(msg, k.Back) && m.acknowledgeAlarms() {
		return nil
	}
	if m.flashErr && m.mode != modeConfirm && m.mode != modeCommand && key.Matches(msg, k.Back) {
		m.flash, m.flashErr = "", false
		return nil
	}
	switch m.mode {
	case modeConfirm:
		return m.keyConfirm(msg)
	case modeFilter:
		return m.keyFilter(msg)
	case modeCommand:
		return m.keyCommand(msg)
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

// mutation names what msg would change in the world ("p (publish)",
// ":reload (fix: reload + verify)"), or "" when it changes nothing: text
// typed into the filter or the command line, a dialog's answer (a dialog
// only opens after this gate), any other key.
func (m *Model) mutation(msg tea.KeyPressMsg) string {
	switch m.mode {
	case modeFilter, modeConfirm:
		return ""
	case modeCommand:
		if msg.String() != "enter" {
			return ""
		}
		if c, _, _ := m.parseCommand(m.cmd.text); c != nil && c.binding != nil {
			return fmt.Sprintf(":%s (%s)", c.name, c.binding.Help().Desc)
		}
		return ""
	}
	if b := matchesAny(msg, m.ctx.Keys.Mutating); b != nil {
		return fmt.Sprintf("%s (%s)", msg.String(), b.Help().Desc)
	}
	return ""
}

// escThen splits a key read with alt held into esc and the key. A
// terminal sends alt+X as ESC X, so ESC and a key arriving in one read
// parse as alt+X: tmux forwards a quick "esc esc" or "esc tab" in one
// write, and both keys must act. The console binds no alt key, so
// nothing is lost.
func escThen(msg tea.KeyPressMsg) (next tea.KeyPressMsg, ok bool) {
	if msg.Mod&tea.ModAlt == 0 {
		return msg, false
	}
	next = msg
	next.Mod &^= tea.ModAlt
	if next.Mod&^tea.ModShift == 0 && next.Text == "" {
		// Alt dropped the text; a printable key types it again (the filter).
		r := next.Code
		if next.ShiftedCode != 0 {
			r = next.ShiftedCode
		}
		if r >= 0x20 && r != 0x7f && r < tea.KeyExtended {
			next.Text = string(r)
		}
	}
	return next, true
}

// keyNormal: the active section first, then the keys every screen
// shares; a key neither knows says so in a flash.
func (m *Model) keyNormal(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.section().HandleKey(msg); ok {
		return cmd
	}
	if cmd, ok := m.keyShared(msg); ok {
		return cmd
	}
	m.unbound(msg)
	return nil
}

// keyShared holds the keys of the root: they work on every tab, with or
// without the detail pane or the event log open.
func (m *Model) keyShared(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.ctx.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.requestQuit(), true
	case key.Matches(msg, k.Help):
		m.back, m.mode = m.mode, modeHelp
		m.helpScroll = 0
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.relayout()
	case key.Matches(msg, k.Command):
		m.openCommand()
	case key.Matches(msg, k.Back):
		// In normal mode esc steps back one thing at a time: the marks of
		// this tab first, then the filter. Elsewhere the mode's own
		// handler has closed its pane before this.
		if m.section().ClearMarks() {
			m.setFlash("marks cleared")
			break
		}
		m.setFilter("")
	case key.Matches(msg, k.Detail):
		if m.section().Selection() == nil {
			m.setFlash("nothing selected")
			break
		}
		m.mode = modeDetail
		m.detailScroll = 0
		m.relayout()
	case key.Matches(msg, k.Events):
		m.mode = modeEvents
		m.eventScroll = 0
		m.relayout()
	case key.Matches(msg, k.NextSection):
		if len(m.sections) == 1 {
			m.setFlash("tab: there is only the " + m.section().Name() + " tab")
			break
		}
		m.active = (m.active + 1) % len(m.sections)
		m.detailScroll = 0
	case key.Matches(msg, k.ProbeAll):
		return m.trigger(), true
	default:
		return nil, false
	}
	return nil, true
}

// unbound answers a key that means nothing here: where it works, if on
// another tab, else that it does nothing. An error flash waiting for esc
// is not replaced.
func (m *Model) unbound(msg tea.KeyPressMsg) {
	if m.flashErr {
		return
	}
	name := msg.String()
	// Every tab whose keymap (its help, the table it handles keys by)
	// has the key: c copies on Fleet and on Bundles alike.
	var tabs, descs []string
	var keyName string
	for i, s := range m.sections {
		if i == m.active {
			continue
		}
		if b := sectionBinding(s, name); b != nil {
			keyName = b.Help().Key
			tabs, descs = append(tabs, s.Name()), append(descs, b.Help().Desc)
		}
	}
	switch {
	case len(tabs) == 0:
		m.setFlash(name + " does nothing here (? lists the keys)")
	case len(tabs) == 1:
		m.setFlash(fmt.Sprintf("%s (%s) works on the %s tab: tab switches to it", keyName, descs[0], tabs[0]))
	case len(slices.Compact(slices.Clone(descs))) == 1:
		m.setFlash(fmt.Sprintf("%s (%s) works on the %s tabs: tab switches to them", keyName, descs[0], joinAnd(tabs)))
	default: // r re-probes on Fleet, re-reads and re-probes on Bundles
		where := make([]string, len(tabs))
		for i := range tabs {
			where[i] = fmt.Sprintf("the %s tab (%s)", tabs[i], descs[i])
		}
		m.setFlash(fmt.Sprintf("%s works on %s: tab switches to them", keyName, joinAnd(where)))
	}
}

// sectionBinding is s's enabled binding for the key named k, nil if none.
func sectionBinding(s Section, k string) *key.Binding {
	for _, col := range s.FullHelp() {
		for _, b := range col {
			if b.Enabled() && slices.Contains(b.Keys(), k) {
				return &b
			}
		}
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

// setFilter narrows every section: one `/` filters all tabs.
func (m *Model) setFilter(s string) {
	m.filterText = s
	words := filterWords(s)
	for _, sec := range m.sections {
		sec.SetFilter(words)
	}
}

// keyHelp: ? or esc go back to where help was opened, q quits.
func (m *Model) keyHelp(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.requestQuit()
	case key.Matches(msg, k.Help), key.Matches(msg, k.Back):
		m.mode = m.back
		m.relayout()
	case key.Matches(msg, k.Up):
		m.scrollHelp(-1)
	case key.Matches(msg, k.Down):
		m.scrollHelp(1)
	case key.Matches(msg, k.PageUp):
		m.scrollHelp(-max(1, m.geometry().bodyH/2))
	case key.Matches(msg, k.PageDown):
		m.scrollHelp(max(1, m.geometry().bodyH/2))
	case key.Matches(msg, k.Top):
		m.helpScroll = 0
	case key.Matches(msg, k.Bottom):
		m.helpScroll = m.helpMaxScroll()
	default:
		m.setFlash("? or esc closes help · j/k scroll")
	}
	return nil
}

// scrollHelp moves the ? screen by delta lines, within its content.
func (m *Model) scrollHelp(delta int) {
	m.helpScroll = max(0, min(m.helpScroll+delta, m.helpMaxScroll()))
}

// keyDetail: esc or enter close the pane and ctrl+d/u scroll it; every
// other key works as without the pane (j/k and g/G move the cursor, and
// the pane follows it).
func (m *Model) keyDetail(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Detail):
		m.mode = modeNormal
		m.relayout()
		return nil
	case key.Matches(msg, k.ScrollDown):
		m.detailScroll += 5
		return nil
	case key.Matches(msg, k.ScrollUp):
		m.detailScroll = max(0, m.detailScroll-5)
		return nil
	}
	before := m.section().Selection()
	cmd := m.keyNormal(msg)
	if m.section().Selection() != before {
		m.detailScroll = 0
	}
	return cmd
}

// keyEvents: j/k scroll the log, g/G go to its oldest and newest, esc or
// l close it; every other key works as without the log.
func (m *Model) keyEvents(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.Keys
	oldest := max(0, m.ring.Len()-1)
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Events):
		m.mode = modeNormal
		m.relayout()
	case key.Matches(msg, k.Up):
		m.eventScroll = min(m.eventScroll+1, oldest)
	case key.Matches(msg, k.Down):
		m.eventScroll = max(0, m.eventScroll-1)
	case key.Matches(msg, k.Top):
		m.eventScroll = oldest
	case key.Matches(msg, k.Bottom):
		m.eventScroll = 0
	default:
		return m.keyNormal(msg)
	}
	return nil
}

// matchesAny is key.Matches over pointers, ignoring whether a binding is
// enabled: read-only must hold even if a binding was re-enabled. It
// returns the binding msg matches, or nil.
func matchesAny(msg tea.KeyPressMsg, bindings []*key.Binding) *key.Binding {
	for _, b := range bindings {
		if slices.Contains(b.Keys(), msg.String()) {
			return b
		}
	}
	return nil
}
