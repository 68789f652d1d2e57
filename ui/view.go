package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Fixed chrome: two header lines and one footer line.
const headerLines, footerLines = 2, 1

// detailBesideFrom is the width from which the detail pane sits beside
// the table; below it the pane goes under the table, or replaces it when
// the terminal is also short.
const detailBesideFrom = 120

// geometry is where each pane goes for the current size and mode. It is
// computed in Update (to size the table's window) and again in View, from
// the same inputs, so the two always agree.
type geometry struct {
	bodyH            int
	tableW, tableH   int
	detailW, detailH int
	detailBeside     bool
	eventsH          int
}

func (m *Model) geometry() geometry {
	w, h := m.ctx.Width, m.ctx.Height
	g := geometry{bodyH: max(0, h-headerLines-m.tabLines()-m.alarmLines()-footerLines)}
	g.tableW, g.tableH = w, g.bodyH
	switch m.mode {
	case modeEvents:
		g.eventsH = min(14, g.bodyH/2)
		g.tableH = g.bodyH - g.eventsH
	case modeDetail:
		switch {
		case w >= detailBesideFrom:
			g.detailBeside = true
			g.detailW = max(52, w*2/5)
			g.tableW = w - g.detailW - 1 // one column for the rule
			g.detailH = g.bodyH
		case g.bodyH >= 20:
			g.tableH = max(6, g.bodyH/3)
			g.detailW, g.detailH = w, g.bodyH-g.tableH
		default:
			// Too short for both: the detail replaces the table.
			g.tableH = 0
			g.detailW, g.detailH = w, g.bodyH
		}
	}
	return g
}

// relayout sizes every section's table after a resize or a mode change;
// View lays out from the same geometry.
func (m *Model) relayout() {
	g := m.geometry()
	for _, s := range m.sections {
		s.SetSize(g.tableW, g.tableH)
	}
}

// View renders the screen. It reads state and never changes it.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "certdeck"
	return v
}

func (m *Model) render() string {
	w, h := m.ctx.Width, m.ctx.Height
	if w == 0 || h == 0 {
		return ""
	}
	if m.tooSmall() {
		return m.renderTooSmall()
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.renderHeader(w)...)
	if m.tabLines() > 0 {
		lines = append(lines, m.renderTabs(w))
	}
	if m.alarmLines() > 0 {
		lines = append(lines, m.renderAlarm(w)...)
	}
	g := m.geometry()
	scrollable := false // the detail pane or the ? screen has more than it shows
	switch m.mode {
	case modeHelp:
		var body []string
		body, scrollable = m.renderHelp(w, g.bodyH)
		lines = append(lines, body...)
	case modeDetail:
		var body []string
		body, scrollable = m.renderDetailBody(g)
		lines = append(lines, body...)
	case modeConfirm:
		lines = append(lines, m.renderConfirm(m.section().View(g.tableW, g.tableH), w)...)
	default:
		lines = append(lines, m.section().View(g.tableW, g.tableH)...)
		if g.eventsH > 0 {
			lines = append(lines, m.renderEvents(w, g.eventsH)...)
		}
	}
	lines = append(lines, m.renderFooter(w, scrollable))
	return strings.Join(lines, "\n")
}

func (m *Model) renderDetailBody(g geometry) (body []string, scrollable bool) {
	detail, scrollable := m.renderDetail(g.detailW, g.detailH)
	if g.detailBeside {
		table := m.section().View(g.tableW, g.tableH)
		rule := m.ctx.Styles.Border.Render("│")
		out := make([]string, g.bodyH)
		for i := range out {
			out[i] = table[i] + rule + detail[i]
		}
		return out, scrollable
	}
	var out []string
	if g.tableH > 0 {
		out = append(out, m.section().View(g.tableW, g.tableH)...)
	}
	return append(out, detail...), scrollable
}

func (m *Model) renderTooSmall() string {
	w, h := m.ctx.Width, m.ctx.Height
	msg := fmt.Sprintf("terminal too small (need %dx%d, have %dx%d)", minWidth, minHeight, w, h)
	// On words: "need 60x15" must not break inside a size.
	hint := "q quits"
	switch {
	case m.quitting != nil:
		hint = m.quittingLine()
	case m.mode == modeConfirm && m.confirm != nil && m.confirm.quit:
		hint = countWord(len(m.launched), "action runs", "actions run") + ": y quits (cancelling what runs), any other key keeps the console"
	}
	lines := []string{ansi.Wrap(msg, max(1, w), ""), m.ctx.Styles.Muted.Render(ansi.Wrap(hint, max(1, w), ""))}
	return strings.Join(lines, "\n")
}

// tabLines is 1 when there is more than one section to switch between.
func (m *Model) tabLines() int {
	if len(m.sections) > 1 {
		return 1
	}
	return 0
}

// renderTabs names the sections, the active one highlighted; tab moves.
func (m *Model) renderTabs(w int) string {
	st := m.ctx.Styles
	var b strings.Builder
	for i, s := range m.sections {
		if i > 0 {
			b.WriteString(st.Border.Render(" │ "))
		}
		if i == m.active {
			b.WriteString(st.Title.Render("[" + s.Title() + "]"))
		} else {
			b.WriteString(st.Muted.Render(" " + s.Title() + " "))
		}
	}
	return fit(b.String(), w)
}
