package ui

import (
	"fmt"
	"strings"

	"certdeck/model"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// bundlesTable is the Bundles section: certificate bundles on local disk,
// worst first. Like the fleet table, the cursor is a bundle name so it
// stays on its bundle when rows re-sort after a change on disk.
type bundlesTable struct {
	cursorWindow
	nameW int
	// title carries the worst status so the tab bar says "look here"
	// from the first screen.
	title string
}

func newBundlesTable(bundles []model.Bundle) *bundlesTable {
	w := 4
	for _, b := range bundles {
		w = max(w, width(b.Name))
	}
	return &bundlesTable{nameW: min(w, 24), title: "Bundles"}
}

func (t *bundlesTable) Title() string { return t.title }

// Refresh re-sorts worst first and keeps the cursor on its bundle.
func (t *bundlesTable) Refresh(m *Model) {
	selected := t.Selected()
	now := m.ctx.Now()
	t.order = t.order[:0]
	bad := map[model.Status]int{}
	for _, bs := range m.state.BundlesWorstFirst(now) {
		if bs.Verdict.Status != model.OK {
			bad[bs.Verdict.Status]++
		}
		// The same filter as the fleet: one `/` narrows both tabs.
		if matchBundleFilter(bs, m.fleet.filter) {
			t.order = append(t.order, bs.Bundle.Name)
		}
	}
	t.follow(selected)
	t.title = fmt.Sprintf("Bundles %d", len(m.state.Bundles()))
	for _, s := range model.AllStatuses {
		if n := bad[s]; n > 0 {
			t.title += fmt.Sprintf(" %s%d %s", s.Glyph(), n, s)
		}
	}
}

// HandleKey moves the cursor; p and b (publish, rollback) are handled by
// the root dispatch so read-only mode is enforced in one place.
func (t *bundlesTable) HandleKey(m *Model, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	return nil, t.navigate(m.ctx.Keys, msg)
}

// bundleCol is one column of the bundles table; the last one (path)
// takes what width is left.
type bundleCol struct {
	title string
	width int
	right bool
	cell  func(m *Model, bs *model.BundleState) (string, *lipgloss.Style)
}

func (t *bundlesTable) columns() []bundleCol {
	return []bundleCol{
		{"STATUS", 9, false, func(m *Model, bs *model.BundleState) (string, *lipgloss.Style) {
			return statusLabel(bs.Verdict.Status), statusStyle(m.ctx.Styles, bs.Verdict.Status)
		}},
		{"NAME", t.nameW, false, func(_ *Model, bs *model.BundleState) (string, *lipgloss.Style) {
			return clean(bs.Bundle.Name), nil
		}},
		{"LAYOUT", 11, false, func(m *Model, bs *model.BundleState) (string, *lipgloss.Style) {
			if bs.Facts == nil || bs.Facts.Layout == "" {
				return clean(bs.Bundle.Layout), &m.ctx.Styles.Muted
			}
			return clean(bs.Facts.Layout), nil
		}},
		{"SERIAL", 8, false, func(m *Model, bs *model.BundleState) (string, *lipgloss.Style) {
			if s := bs.Serial(); s != "" {
				return model.ShortSerial(s), nil
			}
			return "-", &m.ctx.Styles.Muted
		}},
		{"LEFT", 6, true, func(m *Model, bs *model.BundleState) (string, *lipgloss.Style) {
			l := bs.Leaf()
			if l == nil {
				return "-", &m.ctx.Styles.Muted
			}
			now := m.ctx.Now()
			st := model.ClassifyCert(l, bs.Bundle.Thresholds, now).Status
			if st == model.OK {
				return formatLeft(l.NotAfter, now), nil
			}
			return formatLeft(l.NotAfter, now), statusStyle(m.ctx.Styles, st)
		}},
		{"KEY", 8, false, func(m *Model, bs *model.BundleState) (string, *lipgloss.Style) {
			match, known := bs.KeyMatch()
			switch {
			case !known:
				return "-", &m.ctx.Styles.Muted
			case match:
				return "matches", nil
			}
			return "MISMATCH", &m.ctx.Styles.Crit
		}},
		{"DRIFT", 12, false, func(m *Model, bs *model.BundleState) (string, *lipgloss.Style) {
			s := bs.DriftSummary()
			if s == "" {
				return "-", &m.ctx.Styles.Muted
			}
			for _, d := range bs.Drift {
				if d.State == model.Drifted {
					return s, &m.ctx.Styles.Warn
				}
			}
			return s, nil
		}},
		{"PATH", 0, false, func(m *Model, bs *model.BundleState) (string, *lipgloss.Style) {
			return clean(bs.Bundle.Path), &m.ctx.Styles.Muted
		}},
	}
}

// View renders the heading and the visible window of rows only.
func (t *bundlesTable) View(m *Model, w, h int) []string {
	st := m.ctx.Styles
	cols := t.columns()
	widths := make([]int, len(cols))
	used := 0
	for i, c := range cols {
		widths[i] = c.width
		used += c.width + 1
	}
	widths[len(cols)-1] = max(0, w-used+1)
	cell := func(i int, s string) string {
		if cols[i].right {
			return fitRight(s, widths[i])
		}
		return fit(s, widths[i])
	}
	var head strings.Builder
	for i, c := range cols {
		if i > 0 {
			head.WriteByte(' ')
		}
		head.WriteString(cell(i, c.title))
	}
	lines := make([]string, 0, h)
	lines = append(lines, st.Header.Render(fit(head.String(), w)))
	t.rows = h - 1
	t.keepVisible()
	if len(t.order) == 0 {
		msg := "no bundles configured: add `bundles:` to config.yaml"
		if len(m.fleet.filter) > 0 {
			msg = "no bundle matches the filter (esc clears it)"
		}
		lines = append(lines, st.Muted.Render(fit(msg, w)))
		return padLines(lines, w, h)
	}
	end := min(len(t.order), t.offset+h-1)
	for i := t.offset; i < end; i++ {
		bs := m.state.Bundle(t.order[i])
		if bs == nil {
			continue
		}
		selected := i == t.cursor
		var b strings.Builder
		for j, c := range cols {
			if j > 0 {
				b.WriteByte(' ')
			}
			text, style := c.cell(m, bs)
			text = cell(j, text)
			if style != nil && !selected {
				text = m.paints.of(style).apply(text)
			}
			b.WriteString(text)
		}
		row := fit(b.String(), w)
		if selected {
			row = m.paints.of(&st.Selected).apply(row)
		}
		lines = append(lines, row)
	}
	return padLines(lines, w, h)
}
