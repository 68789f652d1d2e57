package ui

import (
	"fmt"
	"time"

	"certdeck/model"
)

// eventPrefix is the width of an event line's time, subject and kind
// ("12:00:00 subject…            kind       "): its message starts there.
const eventPrefix = 8 + 1 + 20 + 1 + 10 + 1

// renderEvents is the event log pane: newest at the bottom, scrolled up
// by eventScroll events. A long event wraps, its continuation indented
// under the message (README: the event log gives whole serials), so only
// the events that reach the screen are laid out, newest first, until the
// pane is full; the oldest one shown may be cut at its top.
func (m *Model) renderEvents(w, h int) []string {
	st := m.ctx.Styles
	title := st.Border.Render("── ") + st.Title.Render("Events") +
		st.Muted.Render(fmt.Sprintf(" %d (j/k scroll · l closes) ", m.ring.Len()))
	rows := h - 1
	n := m.ring.Len()
	if n == 0 {
		return padLines([]string{fit(title, w), st.Muted.Render("no events yet: serial and ticket-key changes and errors appear here")}, w, h)
	}
	// Newest first, each event's lines in order; reversed once at the end.
	var chunks [][]string
	shown := 0
	for i := max(0, n-m.eventScroll) - 1; i >= 0 && shown < rows; i-- {
		c := m.eventLines(m.ring.At(i), w)
		chunks = append(chunks, c)
		shown += len(c)
	}
	lines := make([]string, 0, h)
	lines = append(lines, fit(title, w))
	skip := max(0, shown-rows) // the top of the oldest event shown
	for k := len(chunks) - 1; k >= 0; k-- {
		c := chunks[k]
		if skip > 0 {
			cut := min(skip, len(c))
			c, skip = c[cut:], skip-cut
		}
		lines = append(lines, c...)
	}
	// Scrolled to the oldest events (g) of a log longer than the pane,
	// fewer than fill it are older than the anchor: the newer ones below
	// it fill the rest, so the pane is never half empty while there is
	// more to read. (A log that fits keeps j/k's one event per step.)
	for i := max(0, n-m.eventScroll); n > rows && i < n && len(lines)-1 < rows; i++ {
		c := m.eventLines(m.ring.At(i), w)
		lines = append(lines, c[:min(len(c), rows-(len(lines)-1))]...)
	}
	return padLines(lines, w, h)
}

// eventLines is one event wrapped to w: the message on words (a serial
// is never cut unless it is wider than the pane), continuation lines
// hanging under the message, or under the subject when the pane is too
// narrow for that.
func (m *Model) eventLines(c model.Change, w int) []string {
	st := m.ctx.Styles
	kind := st.Accent
	switch c.Kind {
	case model.ChangeError:
		kind = st.Error
	case model.ChangeRecovered:
		kind = st.OK
	case model.ChangeSerial, model.ChangeTicketKey:
		kind = st.Changed
	}
	text := st.Muted.Render(c.Time.Format(time.TimeOnly)) + " " +
		fit(clean(c.Subject), 20) + " " + kind.Render(fit(string(c.Kind), 10)) + " " + clean(c.Message)
	hang := eventPrefix
	if hang > w/2 {
		hang = 9 // under the subject, past the time
	}
	return wrapHanging(detailLine{text: text, hang: hang}, w)
}
