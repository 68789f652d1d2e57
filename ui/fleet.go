package ui

import (
	"slices"
	"strings"

	"certdeck/model"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// fleetTable is the Fleet section. Rows are endpoint names: the visible
// order is a slice of names rebuilt after each batch, and the cursor is a
// name, so it stays on the same endpoint when rows re-sort under it.
type fleetTable struct {
	cursorWindow
	sortBy  sortKey
	reverse bool
	grouped bool
	filter  []string
	nameW   int
	addrW   int
	// widthsFor is the fleet size the column widths were measured for.
	widthsFor int
}

func newFleetTable() *fleetTable { return &fleetTable{nameW: 12, addrW: 10} }

func (t *fleetTable) Title() string { return "Fleet" }

// Refresh re-filters and re-sorts, keeping the cursor on its endpoint.
// Sort keys are computed once per row, not once per comparison: with
// 10,000 endpoints the comparisons dominate a batch.
func (t *fleetTable) Refresh(m *Model) {
	selected := t.Selected()
	now := m.ctx.Now()
	all := m.state.Endpoints()
	if t.widthsFor != len(all) {
		t.measure(all)
	}
	rows := make([]rowKey, 0, len(all))
	for _, es := range all {
		if matchFilter(es, t.filter) {
			rows = append(rows, newRowKey(es, now))
		}
	}
	slices.SortStableFunc(rows, func(a, b rowKey) int {
		if t.grouped {
			if c := strings.Compare(a.es.Endpoint.Group, b.es.Endpoint.Group); c != 0 {
				return c
			}
		}
		c := t.sortBy.compare(&a, &b)
		if t.reverse {
			c = -c
		}
		return c
	})
	t.order = t.order[:0]
	for _, r := range rows {
		t.order = append(t.order, r.es.Endpoint.Name)
	}
	t.follow(selected)
}

// measure sizes the name and address columns over the whole fleet (not
// the filtered rows), so columns do not jump while typing a filter. The
// configured endpoints do not change while the console runs.
func (t *fleetTable) measure(all []*model.EndpointState) {
	nameW, addrW := 4, 7
	for _, es := range all {
		nameW = max(nameW, width(es.Endpoint.Name))
		addrW = max(addrW, width(addressLabel(es.Endpoint)))
	}
	t.nameW, t.addrW = min(nameW, 28), min(addrW, 28)
	t.widthsFor = len(all)
}

// HandleKey moves the cursor and changes order; anything else is global.
func (t *fleetTable) HandleKey(m *Model, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.ctx.Keys
	if t.navigate(k, msg) {
		return nil, true
	}
	switch {
	case key.Matches(msg, k.Sort):
		t.sortBy = (t.sortBy + 1) % numSortKeys
		t.reverse = false
		t.Refresh(m)
	case key.Matches(msg, k.SortReverse):
		t.reverse = !t.reverse
		t.Refresh(m)
	case key.Matches(msg, k.Group):
		t.grouped = !t.grouped
		t.Refresh(m)
	default:
		return nil, false
	}
	return nil, true
}

// sortLabel is the active sort for the header.
func (t *fleetTable) sortLabel() string {
	arrow := "↓"
	if t.reverse {
		arrow = "↑"
	}
	s := "sort: " + t.sortBy.String() + " " + arrow
	if t.grouped {
		s += " · by group"
	}
	return s
}

// View renders the column heading and the visible window of rows only:
// the cost is the screen's, not the fleet's.
func (t *fleetTable) View(m *Model, w, h int) []string {
	st := m.ctx.Styles
	lay := layoutColumns(fleetColumns(t.nameW, t.addrW), w, t.grouped)
	lines := make([]string, 0, h)
	var head strings.Builder
	for i, c := range lay.cols {
		if i > 0 {
			head.WriteByte(' ')
		}
		if c.right {
			head.WriteString(fitRight(c.title, lay.widths[i]))
		} else {
			head.WriteString(fit(c.title, lay.widths[i]))
		}
	}
	lines = append(lines, st.Header.Render(head.String()))
	t.rows = h - 1
	if len(t.order) == 0 {
		msg := "no endpoints configured: add some to config.yaml, or run `certdeck demo`"
		if len(t.filter) > 0 {
			msg = "no endpoint matches the filter (esc clears it)"
		}
		lines = append(lines, st.Muted.Render(fit(msg, w)))
		return padLines(lines, w, h)
	}
	rc := &rowCtx{now: m.ctx.Now(), styles: st, changedAt: m.changedAt, paints: m.paints}
	end := min(len(t.order), t.offset+h-1)
	for i := t.offset; i < end; i++ {
		es := m.state.Endpoint(t.order[i])
		if es == nil {
			continue
		}
		lines = append(lines, renderRow(rc, lay, es, i == t.cursor))
	}
	// Rows are exactly w wide already; only blank lines are missing.
	blank := strings.Repeat(" ", w)
	for len(lines) < h {
		lines = append(lines, blank)
	}
	return lines
}

// renderRow draws one endpoint. The selected row is drawn in the
// selection style as a whole: per-cell colours inside it would reset the
// selection background at each cell boundary.
func renderRow(rc *rowCtx, lay layout, es *model.EndpointState, selected bool) string {
	var b strings.Builder
	for i, c := range lay.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		text, style := c.cell(rc, es)
		if c.right {
			text = fitRight(text, lay.widths[i])
		} else {
			text = fit(text, lay.widths[i])
		}
		if style != nil && !selected {
			text = rc.paints.of(style).apply(text)
		}
		b.WriteString(text)
	}
	if selected {
		return rc.paints.of(&rc.styles.Selected).apply(b.String())
	}
	return b.String()
}
