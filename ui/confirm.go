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
// confirm): Cancel is focused, y runs the action, any other key cancels,
// so a stray key never changes anything. It shows the plan verbatim:
// the exact argv, host, socket and files, old → new serial.

// confirmDialog is the pending question.
type confirmDialog struct {
	// lines are the plan as shown: the first is the title. They are
	// sanitised when drawn.
	lines []string
	// verb names the action on its button and in "cancelled".
	verb string
	// yes starts the action (in a Cmd) when y is pressed.
	yes func(m *Model) tea.Cmd
}

func (m *Model) openConfirm(d *confirmDialog) {
	m.flash, m.flashErr = "", false
	m.confirm = d
	m.mode = modeConfirm
}

// keyConfirm: y runs the action; every other key cancels.
func (m *Model) keyConfirm(msg tea.KeyPressMsg) tea.Cmd {
	d := m.confirm
	m.confirm = nil
	m.mode = modeNormal
	if d == nil {
		return nil
	}
	if msg.String() != "y" {
		m.setFlash(d.verb + " cancelled")
		return nil
	}
	return d.yes(m)
}

// renderConfirm draws the dialog over the middle of the body. Lines
// wider than the box wrap under their own indent (an argv is shown
// whole, never cut); a plan taller than the body is cut, saying how
// much is left out.
func (m *Model) renderConfirm(body []string, w int) []string {
	d := m.confirm
	st := m.ctx.Styles
	inner := 0
	for _, l := range d.lines {
		inner = max(inner, width(model.Sanitize(l)))
	}
	inner = max(1, min(max(inner, 40), w-6))
	var content []string
	for i, l := range d.lines {
		l = model.Sanitize(l)
		if i == 0 {
			content = append(content, st.Title.Render(fit(l, inner)), "")
			continue
		}
		// A step ("  exec      nginx argv: …") continues under its target;
		// other lines under their own text.
		indent := len(l) - len(strings.TrimLeft(l, " "))
		hang := indent + 2
		if f := strings.Fields(l); indent == 2 && len(f) > 1 && len(l) > 12 && l[11] == ' ' && l[12] != ' ' {
			hang = 12
		}
		wrapped := wrapHanging(detailLine{text: l, hang: hang}, inner)
		if flag := statusOfLine(st, l); flag != nil {
			// A flag ("▲ WARN expires 20 days sooner…") is never colour
			// alone: the glyph and the word are in the text.
			for j, w := range wrapped {
				text := strings.TrimLeft(w, " ")
				wrapped[j] = w[:len(w)-len(text)] + flag.Render(text)
			}
		}
		content = append(content, wrapped...)
	}
	// Borders, the blank line and the buttons take 4 lines.
	if room := len(body) - 4; len(content) > room && room > 1 {
		cut := len(content) - (room - 1)
		content = append(content[:room-1], st.Muted.Render(fmt.Sprintf("… %d more lines (y runs all of it)", cut)))
	}
	box := []string{"┌" + strings.Repeat("─", inner+2) + "┐"}
	row := func(s string) string { return "│ " + fit(s, inner) + " │" }
	for _, l := range content {
		box = append(box, row(l))
	}
	box = append(box, row(""))
	verb := strings.ToUpper(d.verb[:1]) + d.verb[1:]
	buttons := st.Selected.Render("[ Cancel ]") + "   " + st.Muted.Render(verb+" (y)") + st.Muted.Render("   (y/N)")
	box = append(box, row(buttons), "└"+strings.Repeat("─", inner+2)+"┘")
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
