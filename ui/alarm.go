package ui

import (
	"fmt"
	"strings"

	"certdeck/model"

	"github.com/charmbracelet/x/ansi"
)

// An alarm is the loudest thing the console says: a rollback that failed
// to verify leaves nobody knowing what is served while the store has
// changed. It takes full-width lines above the table (wrapped, up to
// three), in the reverse of the CRIT colour, goes to the event log, and
// stays until esc acknowledges it (before any other esc does its usual
// job).

// maxAlarmLines bounds the alarm: it is wrapped, not cut, up to here.
const maxAlarmLines = 3

// alarmLines is how many lines the alarm takes (0 when there is none).
func (m *Model) alarmLines() int { return len(m.alarmText(m.ctx.Width)) }

// alarmText is the newest alarm wrapped to w, how many others there are,
// and how to acknowledge it.
func (m *Model) alarmText(w int) []string {
	if len(m.alarms) == 0 || w <= 0 {
		return nil
	}
	text := "✗ " + clean(m.alarms[len(m.alarms)-1])
	if n := len(m.alarms) - 1; n > 0 {
		text += fmt.Sprintf(" (+%d more in the event log)", n)
	}
	const ack = " · esc acknowledges"
	lines := wrapHanging(detailLine{text: text + ack, hang: 2}, w)
	if len(lines) > maxAlarmLines {
		// Cut, but the way out stays on screen: the whole text is in the
		// event log.
		const more = "… (the rest: l, event log)" + ack
		lines = wrapHanging(detailLine{text: text, hang: 2}, w)[:maxAlarmLines]
		last := strings.TrimRight(lines[maxAlarmLines-1], " ")
		lines[maxAlarmLines-1] = strings.TrimRight(ansi.Truncate(last, max(0, w-width(more)-1), ""), " ") + " " + more
	}
	return lines
}

// raiseAlarm shows text as an alarm and logs it.
func (m *Model) raiseAlarm(subject, text string) {
	m.alarms = append(m.alarms, text)
	if n := m.ring.Len(); n == 0 || clean(m.ring.At(n-1).Message) != clean(text) {
		m.ring.Add(model.Change{Time: m.ctx.Now(), Subject: subject, Kind: model.ChangeError, Message: text})
	}
	m.relayout()
}

// acknowledgeAlarms is esc while an alarm shows.
func (m *Model) acknowledgeAlarms() bool {
	if len(m.alarms) == 0 {
		return false
	}
	m.alarms = nil
	m.relayout()
	return true
}

// renderAlarm is the alarm's lines, full width, in the alarm style.
func (m *Model) renderAlarm(w int) []string {
	lines := m.alarmText(w)
	for i, l := range lines {
		lines[i] = m.alarmStyle.Render(fit(l, w))
	}
	return lines
}
