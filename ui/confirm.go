package ui

import (
	"fmt"
	"strings"

	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// The "(y/N)" dialog every action goes through (k9s's one generic
// confirm): Cancel is focused, y runs the action, and any other key
// cancels, so a stray key never changes anything. The keys that scroll a
// plan taller than the screen (j/k, arrows, pgup/pgdn, home/end) only
// scroll: reading the whole plan must not cancel it. It shows the plan
// verbatim: the exact argv, host, socket and files, old → new serial.

// confirmDialog is the pending question.
type confirmDialog struct {
	// lines are the plan as shown: the first is the title. They are
	// sanitised when drawn.
	lines []string
	// verb names the action on its button and in "cancelled".
	verb string
	// yes starts the action (in a Cmd) when y is pressed.
	yes func(m *Model) tea.Cmd
	// quit marks the question q asks while actions run (quit.go): its
	// footer says what y and ctrl+c do there.
	quit bool
}

func (m *Model) openConfirm(d *confirmDialog) {
	if m.quitting != nil || m.confirm != nil && m.confirm.quit && !d.quit {
		// A plan that lands while the console quits, or asks whether to,
		// is not asked about: the quit question stays on screen.
		return
	}
	m.flash, m.flashErr = "", false
	m.confirm = d
	m.confirmScroll = 0
	m.mode = modeConfirm
}

// closeConfirm leaves the dialog.
func (m *Model) closeConfirm() *confirmDialog {
	d := m.confirm
	m.confirm, m.confirmScroll = nil, 0
	m.mode = modeNormal
	return d
}

// keyConfirm: the scroll keys scroll, y runs the action, every other key
// cancels.
func (m *Model) keyConfirm(msg tea.KeyPressMsg) tea.Cmd {
	if m.confirm == nil {
		m.mode = modeNormal
		return nil
	}
	if m.scrollConfirm(msg.String()) {
		return nil
	}
	d := m.closeConfirm()
	switch {
	case msg.String() == "y":
	case d.quit:
		m.setFlash("not quitting: " + countWord(len(m.launched), "action keeps", "actions keep") + " running")
		return nil
	default:
		m.setFlash(d.verb + " cancelled")
		return nil
	}
	return d.yes(m)
}

// scrollConfirm moves the plan for a scroll key and reports whether k is
// one. A plan that fits ignores them, so the same keys never cancel.
func (m *Model) scrollConfirm(k string) bool {
	lay := m.layoutConfirm(m.geometry().tableH, m.ctx.Width)
	page := max(1, lay.rows-1)
	switch k {
	case "j", "down":
		m.confirmScroll++
	case "k", "up":
		m.confirmScroll--
	case "pgdown":
		m.confirmScroll += page
	case "pgup":
		m.confirmScroll -= page
	case "home":
		m.confirmScroll = 0
	case "end":
		m.confirmScroll = lay.maxScroll()
	default:
		return false
	}
	m.confirmScroll = max(0, min(m.confirmScroll, lay.maxScroll()))
	return true
}

// confirmLayout is the dialog laid out for a body of a given height: the
// title is kept on screen, the plan under it scrolls when it does not
// fit, and the buttons row is always drawn.
type confirmLayout struct {
	inner   int      // the box's inner width
	head    []string // the title and the blank line under it, pinned
	content []string // the plan, wrapped
	rows    int      // how many content lines show
	gap     bool     // a blank row above the buttons
}

func (l confirmLayout) scrolls() bool  { return len(l.content) > l.rows }
func (l confirmLayout) maxScroll() int { return max(0, len(l.content)-l.rows) }

// layoutConfirm wraps the plan to the screen and decides what shows in
// bodyH lines. Update (scrolling) and View lay out from the same inputs,
// so the two agree; it is a few dozen lines of text.
func (m *Model) layoutConfirm(bodyH, w int) confirmLayout {
	d := m.confirm
	st := m.ctx.Styles
	inner := 0
	for _, l := range d.lines {
		inner = max(inner, width(model.Sanitize(l)))
	}
	inner = max(1, min(max(inner, 40), w-6))
	lay := confirmLayout{inner: inner}
	var title []string
	for _, l := range wrapHanging(detailLine{text: model.Sanitize(d.lines[0])}, inner) {
		title = append(title, st.Title.Render(l))
	}
	var plan []string
	for _, l := range d.lines[1:] {
		plan = append(plan, m.confirmLine(st, model.Sanitize(l), inner)...)
	}
	// Borders and the buttons take 3 lines.
	avail := max(1, bodyH-3)
	all := append(append(append([]string(nil), title...), ""), plan...)
	if len(all) < avail {
		lay.content, lay.rows, lay.gap = all, len(all), true
		return lay
	}
	lay.head, lay.content = title, plan
	if avail-len(title) >= 6 {
		lay.head = append(lay.head, "")
	}
	if avail-len(lay.head) < 2 {
		// Too short to keep the title: it scrolls with the rest.
		lay.head, lay.content = nil, all
	}
	lay.rows = max(1, avail-len(lay.head))
	return lay
}

// confirmLine is one plan line wrapped to inner cells. A step
// ("  exec      nginx-a …") continues under its target, other lines
// under their own text; a flag ("▲ WARN expires 20 days sooner…") is
// drawn in its status's colour, and is never colour alone: the glyph
// and the word are in the text.
func (m *Model) confirmLine(st *themes.Styles, l string, inner int) []string {
	indent := len(l) - len(strings.TrimLeft(l, " "))
	hang := indent + 2
	if f := strings.Fields(l); indent == 2 && len(f) > 1 && len(l) > 12 && l[11] == ' ' && l[12] != ' ' {
		hang = 12
	}
	wrapped := wrapHanging(detailLine{text: l, hang: hang}, inner)
	if flag := statusOfLine(st, l); flag != nil {
		for j, w := range wrapped {
			text := strings.TrimLeft(w, " ")
			wrapped[j] = w[:len(w)-len(text)] + flag.Render(text)
		}
	}
	return wrapped
}

// renderConfirm draws the dialog over the middle of the body. Lines
// wider than the box wrap under their own indent (an argv is shown
// whole, never cut); a plan taller than the body scrolls, and the box's
// bottom edge says which lines show ("lines 5–16 of 31").
func (m *Model) renderConfirm(body []string, w int) []string {
	d := m.confirm
	st := m.ctx.Styles
	lay := m.layoutConfirm(len(body), w)
	inner := lay.inner
	off := max(0, min(m.confirmScroll, lay.maxScroll()))
	row := func(s string) string { return "│ " + fit(s, inner) + " │" }
	box := []string{"┌" + strings.Repeat("─", inner+2) + "┐"}
	for _, l := range lay.head {
		box = append(box, row(l))
	}
	for _, l := range lay.content[off : off+min(lay.rows, len(lay.content)-off)] {
		box = append(box, row(l))
	}
	if lay.gap {
		box = append(box, row(""))
	}
	verb := strings.ToUpper(d.verb[:1]) + d.verb[1:]
	buttons := st.Selected.Render("[ Cancel ]") + "   " + st.Muted.Render(verb+" (y)") + st.Muted.Render("   (y/N)")
	bottom := "└" + strings.Repeat("─", inner+2) + "┘"
	if lay.scrolls() {
		at := fmt.Sprintf("─ lines %d–%d of %d ", off+1, off+lay.rows, len(lay.content))
		if width(at) < inner {
			bottom = "└" + at + strings.Repeat("─", inner+2-width(at)) + "┘"
		}
	}
	box = append(box, row(buttons), bottom)
	top := max(0, (len(body)-len(box))/2)
	left := max(0, (w-inner-4)/2)
	out := append([]string(nil), body...)
	for i, b := range box {
		if top+i < len(out) {
			out[top+i] = fit(strings.Repeat(" ", left)+b, w)
		}
	}
	return out
}

// confirmFooter is the footer under a dialog: what y does, the scroll
// keys when the plan scrolls, and that every other key cancels.
func (m *Model) confirmFooter() string {
	if m.confirm != nil && m.confirm.quit {
		return "y or ctrl+c quits (cancelling what runs) · any other key keeps the console"
	}
	if m.confirm != nil && m.layoutConfirm(m.geometry().tableH, m.ctx.Width).scrolls() {
		return "y confirms · j/k pgup/pgdn home/end scroll · other keys cancel (q too)"
	}
	return "y confirms · any other key cancels (q too; ctrl+c quits)"
}

// statusOfLine is the style of a plan line that starts with a status
// label ("▲ WARN …", "✗ CRIT …"), nil for any other line.
func statusOfLine(st *themes.Styles, l string) *lipgloss.Style {
	l = strings.TrimLeft(l, " ")
	for _, s := range []model.Status{model.Warn, model.Crit} {
		if strings.HasPrefix(l, statusLabel(s)+" ") {
			return statusStyle(st, s)
		}
	}
	return nil
}
