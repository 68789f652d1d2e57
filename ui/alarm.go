package ui

import (
	"fmt"

	"certdeck/model"
)

// An alarm is the loudest thing the console says: a rollback that failed
// to verify leaves nobody knowing what is served while the store has
// changed. It takes a full-width line above the table, in the reverse of
// the CRIT colour, goes to the event log, and stays until esc
// acknowledges it (before any other esc does its usual job).

// alarmLines is how many lines an alarm takes (0 when there is none).
func (m *Model) alarmLines() int {
	if len(m.alarms) == 0 {
		return 0
	}
	return 1
}

// raiseAlarm shows text as an alarm and logs it.
func (m *Model) raiseAlarm(subject, text string) {
	m.alarms = append(m.alarms, text)
	m.ring.Add(model.Change{Time: m.ctx.Now(), Subject: subject, Kind: model.ChangeError, Message: text})
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

// renderAlarm is the alarm line: the newest alarm and how many others.
func (m *Model) renderAlarm(w int) string {
	text := "✗ " + clean(m.alarms[len(m.alarms)-1])
	if n := len(m.alarms) - 1; n > 0 {
		text += fmt.Sprintf(" (+%d more in the event log)", n)
	}
	text += " · esc acknowledges"
	return m.alarmStyle.Render(fit(text, w))
}
