package ui

import (
	"fmt"
	"time"

	"certdeck/model"
)

// renderEvents is the event log pane: newest at the bottom, scrolled up
// by eventScroll lines.
func (m *Model) renderEvents(w, h int) []string {
	st := m.ctx.Styles
	title := st.Border.Render("── ") + st.Title.Render("Events") +
		st.Muted.Render(fmt.Sprintf(" %d (j/k scroll · l closes) ", m.ring.Len()))
	lines := []string{fit(title, w)}
	rows := h - 1
	n := m.ring.Len()
	end := max(0, n-m.eventScroll)
	start := max(0, end-rows)
	if n == 0 {
		lines = append(lines, st.Muted.Render("no events yet: serial and ticket-key changes and errors appear here"))
	}
	for i := start; i < end; i++ {
		c := m.ring.At(i)
		kind := st.Accent
		switch c.Kind {
		case model.ChangeError:
			kind = st.Error
		case model.ChangeRecovered:
			kind = st.OK
		case model.ChangeSerial, model.ChangeTicketKey:
			kind = st.Changed
		}
		lines = append(lines, st.Muted.Render(c.Time.Format(time.TimeOnly))+" "+
			fit(clean(c.Subject), 20)+" "+kind.Render(fit(string(c.Kind), 10))+" "+clean(c.Message))
	}
	return padLines(lines, w, h)
}
