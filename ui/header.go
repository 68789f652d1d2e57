package ui

import (
	"fmt"
	"strings"

	"certdeck/model"

	"github.com/charmbracelet/x/ansi"
)

// renderHeader is two lines: who and how bad (fleet, [RO], the active
// tab's counts per status: each tab counts its own rows); then how fresh
// (probed ago, next round, probes in flight, staleness in words) and
// where the table stands (filter, row position, a sort whose column is
// not on screen).
func (m *Model) renderHeader(w int) []string {
	st := m.ctx.Styles
	now := m.ctx.Now()

	var left strings.Builder
	left.WriteString(st.Title.Render("certdeck"))
	if m.ctx.ReadOnly {
		// Next to the title, so no width can push it off the screen.
		left.WriteString(" " + st.Accent.Render("[RO]"))
	}
	left.WriteString(" ")
	left.WriteString(st.Text.Render(m.fleetLabel()))
	counts := m.section().Counts()
	for _, s := range model.AllStatuses {
		n := counts[s]
		if n == 0 {
			continue // "✓ 0 OK" reads as a count of something; no count says it
		}
		left.WriteString("  ")
		left.WriteString(statusStyle(st, s).Render(fmt.Sprintf("%s %d %s", s.Glyph(), n, s)))
	}
	line1 := left.String()
	if running := m.ctx.Actions.headerText(now, w-ansi.StringWidth(line1)-2); running != "" {
		line1 = joinEnds(line1, st.Accent.Render(running), w)
	}

	var fresh []string
	last := m.state.LastProbe
	interval := m.opts.Fleet.Interval
	switch {
	case last.IsZero():
		fresh = append(fresh, st.Muted.Render("not probed yet"))
	case interval > 0 && now.Sub(last) > 2*interval:
		fresh = append(fresh, st.Warn.Render(fmt.Sprintf("STALE: last probe %s ago, interval %s", formatAge(now.Sub(last)), interval)))
	default:
		fresh = append(fresh, st.Muted.Render("probed "+formatAge(now.Sub(last))+" ago"))
	}
	if m.opts.Prober != nil {
		if next := m.opts.Prober.NextRound(); !next.IsZero() {
			fresh = append(fresh, st.Muted.Render("next in "+formatAge(next.Sub(now))))
		}
	}
	line2 := strings.Join(fresh, st.Muted.Render(" · "))
	if m.inFlight > 0 {
		line2 += "  " + st.Accent.Render(fmt.Sprintf("%s probing %d", m.spinner.View(), m.inFlight))
	}
	sum := m.section().Summary()
	var cut []string
	if sum.marked > 0 {
		marked := fmt.Sprintf("%s %d marked", markGlyph, sum.marked)
		if sum.markedHidden > 0 {
			marked += fmt.Sprintf(" (%d hidden by the filter)", sum.markedHidden)
		}
		cut = append(cut, st.Accent.Render(marked))
	}
	if m.filterText != "" {
		cut = append(cut, st.Accent.Render("filter: "+clean(m.filterText))+st.Muted.Render(fmt.Sprintf(" (%d of %d)", sum.shown, sum.total)))
	}
	if sum.offScreen != "" {
		cut = append(cut, st.Muted.Render(sum.offScreen))
	}
	if sum.position > 0 {
		cut = append(cut, st.Muted.Render(fmt.Sprintf("%d/%d", sum.position, sum.shown)))
	}
	return []string{fit(line1, w), fit(joinEnds(line2, strings.Join(cut, "  "), w), w)}
}

// fleetLabel is the fleet's name, else its config path, else "targets".
func (m *Model) fleetLabel() string {
	f := m.opts.Fleet
	switch {
	case f.Name != "":
		return clean(f.Name)
	case f.Source != "":
		return clean(f.Source)
	}
	return "command-line targets"
}

// joinEnds puts right at the right edge of a w-wide line after left,
// or just after it when there is no room.
func joinEnds(left, right string, w int) string {
	if right == "" {
		return left
	}
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 2 {
		gap = 2
	}
	return left + strings.Repeat(" ", gap) + right
}
