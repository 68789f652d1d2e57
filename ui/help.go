package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Footers and the ? screen are generated from the keymap: the root's own
// keys around the active section's (Section.ShortHelp, FullHelp).

// hint is a footer item for keys that share one line ("j/k move").
func hint(keys, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
}

// footerBindings is what the footer offers in the current mode: the first
// and last (help or back, and quit) always fit; the middle is in order
// of use and is cut from its end when the terminal is narrow.
func (m *Model) footerBindings(scrollable bool) []key.Binding {
	k := m.ctx.Keys
	sec := m.section().ShortHelp()
	switch m.mode {
	case modeDetail:
		head := []key.Binding{hint("esc", "back"), hint("j/k", "move")}
		if scrollable {
			head = append(head, hint("ctrl+d/u", "scroll"))
		}
		return concat(head, sec, []key.Binding{k.Help, k.Quit})
	case modeEvents:
		return []key.Binding{hint("esc", "back"), hint("j/k", "scroll"), hint("g/G", "oldest/newest"), k.Help, k.Quit}
	case modeHelp:
		if scrollable {
			return []key.Binding{hint("esc", "close"), hint("j/k", "scroll"), hint("ctrl+d/u", "half page"), hint("g/G", "top/bottom"), k.Quit}
		}
		return []key.Binding{hint("esc", "close"), k.Quit}
	}
	tail := []key.Binding{k.Events}
	if len(m.sections) > 1 {
		tail = append(tail, k.NextSection)
	}
	tail = append(tail, k.ProbeAll, k.Quit)
	return concat([]key.Binding{k.Help, k.Filter, k.Command, k.Detail}, sec, tail)
}

func concat(parts ...[]key.Binding) []key.Binding {
	var out []key.Binding
	for _, p := range parts {
		for _, b := range p {
			if b.Enabled() {
				out = append(out, b)
			}
		}
	}
	return out
}

// renderFooter is the flash line, the filter prompt, the dialog's hint,
// or the key hints fitted to w (never cut with "…": the last hint, quit,
// always shows). scrollable says the detail pane or the ? screen has more
// to scroll to.
func (m *Model) renderFooter(w int, scrollable bool) string {
	st := m.ctx.Styles
	switch {
	case m.mode == modeFilter:
		return fit(st.Accent.Render("/")+" "+clean(m.filterText)+"█"+st.Muted.Render("  enter keeps · esc clears"), w)
	case m.mode == modeCommand:
		return m.renderCommand(w)
	case m.quitting != nil:
		return fit(st.Accent.Render(m.quittingLine()), w)
	case m.mode == modeConfirm:
		return fit(st.Accent.Render(m.confirmFooter()), w)
	case m.flashErr:
		cut := " … (l: full text · esc dismisses)"
		if width(cut) > w/2 {
			cut = " … (l: full text)" // the text keeps most of a narrow line
		}
		return m.renderFlash(st.Error, "  (esc dismisses)", cut, w)
	case m.flash != "" && m.flashLogged:
		return m.renderFlash(st.Accent, "", " … (l: full text)", w)
	case m.flash != "":
		return fit(st.Accent.Render(m.flash), w)
	}
	items := m.footerBindings(scrollable)
	line := m.help.ShortHelpView(items)
	for len(items) > 2 && lipgloss.Width(line) > w {
		items = append(items[:len(items)-2], items[len(items)-1])
		line = m.help.ShortHelpView(items)
	}
	return fit(line, w)
}

// renderFlash is a flash the event log holds whole, in style, then tail;
// when the flash is wider than the line it is cut before cutTail, which
// says where the rest is.
func (m *Model) renderFlash(style lipgloss.Style, tail, cutTail string, w int) string {
	st := m.ctx.Styles
	text := clean(m.flash)
	switch tw := width(text); {
	case tw+width(tail) <= w:
		return fit(style.Render(text)+st.Muted.Render(tail), w)
	case tw <= w:
		return fit(style.Render(text), w)
	}
	room := max(0, w-width(cutTail))
	return fit(style.Render(strings.TrimRight(ansi.Truncate(text, room, ""), " "))+st.Muted.Render(cutTail), w)
}

// fullHelp is the ? screen's columns, most useful first: on a small
// screen the first lines are what shows before the operator scrolls. The
// active section's own keys (its actions) lead, then the views and keys
// every tab shares, then moving.
func (m *Model) fullHelp() [][]key.Binding {
	k := m.ctx.Keys
	var cols [][]key.Binding
	for _, c := range m.section().FullHelp() {
		if c = concat(c); len(c) > 0 {
			cols = append(cols, c)
		}
	}
	shared := []key.Binding{k.Detail, k.Events, k.Filter, k.Command, k.Back}
	if len(m.sections) > 1 {
		shared = append(shared, k.NextSection)
	}
	shared = append(shared, k.ProbeAll, k.Help, k.Quit)
	return append(cols, shared, []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom})
}

// helpContent is the ? screen under its title for width w: the key
// columns side by side, in as many bands as the width needs, then the `:`
// commands. It is a few dozen lines whatever the fleet's size.
func (m *Model) helpContent(w int) []string {
	return m.helpBands(append(m.fullHelp(), m.commandHelp()), w)
}

// helpMaxScroll is how far the ? screen scrolls at the current size: its
// content less the lines that show under the title and above the "more"
// line.
func (m *Model) helpMaxScroll() int {
	g := m.geometry()
	n := len(m.helpContent(m.ctx.Width))
	if n <= g.bodyH-1 {
		return 0
	}
	return max(0, n-(g.bodyH-2))
}

// renderHelp is the ? screen, h lines: the title, the content from
// helpScroll, and, when it does not all fit, a last line that says there
// is more and where ("more ↓ (12 of 31)": the last line shown of all).
// scrollable feeds the footer.
func (m *Model) renderHelp(w, h int) (lines []string, scrollable bool) {
	st := m.ctx.Styles
	title := st.Title.Render("Keys · "+m.section().Name()+" tab") + st.Muted.Render("  (? or esc closes)")
	content := m.helpContent(w)
	if len(content) <= h-1 {
		return padLines(append([]string{title}, content...), w, h), false
	}
	rows := max(0, h-2)
	off := max(0, min(m.helpScroll, len(content)-rows))
	lines = append([]string{title}, content[off:off+rows]...)
	arrow := "↕"
	switch {
	case off == 0:
		arrow = "↓"
	case off+rows >= len(content):
		arrow = "↑"
	}
	more := fmt.Sprintf("more %s (%d of %d) · j/k scroll · g/G top/bottom", arrow, off+rows, len(content))
	return padLines(append(lines, st.Accent.Render(fit(more, w))), w, h), true
}

// helpBands lays columns side by side in bands that fit w.
func (m *Model) helpBands(cols [][]key.Binding, w int) []string {
	const gap = 4
	var lines []string
	var band [][]key.Binding
	used := 0
	flush := func() {
		if len(band) > 0 {
			lines = append(lines, "")
			lines = append(lines, strings.Split(m.help.FullHelpView(band), "\n")...)
		}
		band, used = nil, 0
	}
	for _, col := range cols {
		cw := lipgloss.Width(m.help.FullHelpView([][]key.Binding{col}))
		if used > 0 && used+gap+cw > w {
			flush()
		}
		if used > 0 {
			used += gap
		}
		band, used = append(band, col), used+cw
	}
	flush()
	return lines
}
