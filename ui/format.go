package ui

import (
	"fmt"
	"time"

	"certdeck/model"
	"certdeck/themes"

	"charm.land/lipgloss/v2"
)

// statusStyle maps a status to its themed style.
func statusStyle(s *themes.Styles, st model.Status) *lipgloss.Style {
	switch st {
	case model.OK:
		return &s.OK
	case model.Warn:
		return &s.Warn
	case model.Crit:
		return &s.Crit
	case model.Error:
		return &s.Error
	default:
		return &s.Unknown
	}
}

// statusLabel is glyph and word: status never depends on colour.
func statusLabel(st model.Status) string { return st.Glyph() + " " + st.String() }

// formatLeft renders time left on a certificate: days when there are
// days, hours or minutes below one day (short-lived certificates), and a
// negative number of days once expired.
func formatLeft(notAfter, now time.Time) string {
	left := notAfter.Sub(now)
	switch {
	case left <= 0:
		return fmt.Sprintf("%dd", model.DaysLeft(notAfter, now))
	case left >= 24*time.Hour:
		return fmt.Sprintf("%dd", model.DaysLeft(notAfter, now))
	case left >= time.Hour:
		return fmt.Sprintf("%dh", int(left.Hours()))
	case left >= time.Minute:
		return fmt.Sprintf("%dm", int(left.Minutes()))
	default:
		return fmt.Sprintf("%ds", int(left.Seconds()))
	}
}

// formatAge is a compact duration for "ago" labels: 5s, 3m, 2h, 4d.
func formatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// formatLatency is milliseconds, or "-" when nothing was measured.
func formatLatency(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d < time.Millisecond {
		return "<1ms"
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}
