package ui

import (
	"fmt"
	"strings"
	"time"

	"certdeck/model"
	"certdeck/themes"

	"charm.land/lipgloss/v2"
)

// column is one column of a section's table. Columns are shown in
// declaration order but admitted by priority: when the terminal narrows,
// the least important go first.
type column[T any] struct {
	title string
	width int // cells it gets when admitted
	// grow is how many more cells it may take, before the flexible column
	// takes what is left: an issuer name is worth showing whole at 200
	// columns.
	grow     int
	flex     bool // takes what is left once every column has grown
	priority int  // lower is more important
	right    bool // numbers align right
	// middle cuts an over-long value in the middle: paths differ at the
	// end (…/live/web, …/live/api) and start the same.
	middle bool
	// cell returns the text and, optionally, its style (nil: plain text).
	cell func(rc *rowCtx, it T) (string, *lipgloss.Style)
	// compare orders two items by this column (nil: `s` skips it, unless
	// worst is set); ties fall back to worst first.
	compare func(a, b T) int
	// worst marks the column whose order is worst first (STATUS).
	worst bool
	// descending: this column's natural order reads as descending (worst
	// first), so its heading shows ▼ until reversed.
	descending bool
	// hidden keeps a column off screen while it would be empty for every
	// row (OCSP in a fleet that staples nothing).
	hidden bool
}

func (c column[T]) sortable() bool { return c.compare != nil || c.worst }

// cellWidth is the width a column is admitted with: its own, and for a
// column `s` can sort by at least its title and the sort arrow, so the
// heading is never cut or shifted when it carries the arrow.
func (c column[T]) cellWidth() int {
	if c.sortable() {
		return max(c.width, width(c.title)+2) // " ▲"
	}
	return c.width
}

// rowCtx carries what cells need beyond the item.
type rowCtx struct {
	now       time.Time
	styles    *themes.Styles
	changedAt map[string]time.Time
	actions   *actionBoard
}

// layout is the columns chosen for a width (indices, in display order)
// and the width each gets.
type layout struct {
	cols   []int
	widths []int
}

// minFlexWidth is the least the flexible column is admitted with when its
// own width does not fit: a reason cut to 16 cells still says what is wrong.
const minFlexWidth = 16

// layoutColumns admits columns by priority until one does not fit,
// lets admitted columns grow by priority, then gives the flexible column
// (or the last one) what is left.
func layoutColumns[T any](all []column[T], width int) layout {
	byPrio := make([]int, len(all))
	for i := range byPrio {
		byPrio[i] = i
	}
	for i := 1; i < len(byPrio); i++ {
		for j := i; j > 0 && all[byPrio[j]].priority < all[byPrio[j-1]].priority; j-- {
			byPrio[j], byPrio[j-1] = byPrio[j-1], byPrio[j]
		}
	}
	admitted := make([]bool, len(all))
	base := make([]int, len(all)) // the width each column is admitted with
	used := 0
	for _, i := range byPrio {
		if all[i].hidden {
			continue
		}
		sep := 0
		if used > 0 {
			sep = 1
		}
		base[i] = all[i].cellWidth()
		if used+sep+base[i] > width {
			// Stop at the first column that does not fit: the room goes
			// to the flexible column, not to a less important one. The
			// flexible column itself (REASON) takes what is left when
			// that is a useful share, rather than leave it to widen
			// columns past their content.
			if room := width - used - sep; all[i].flex && room >= minFlexWidth {
				admitted[i], base[i], used = true, room, width
			}
			break
		}
		admitted[i] = true
		used += sep + base[i]
	}
	extra := make([]int, len(all))
	left := width - used
	for _, i := range byPrio {
		if admitted[i] && left > 0 && all[i].grow > 0 {
			extra[i] = min(all[i].grow, left)
			left -= extra[i]
		}
	}
	var l layout
	flex := -1
	for i := range all {
		if !admitted[i] {
			continue
		}
		if all[i].flex {
			flex = len(l.cols)
		}
		l.cols = append(l.cols, i)
		l.widths = append(l.widths, base[i]+extra[i])
	}
	if flex < 0 {
		flex = len(l.widths) - 1
	}
	if flex >= 0 {
		l.widths[flex] += left
	}
	return l
}

// View renders the heading and the rows on screen, exactly w x h: the
// cost is the screen's, not the fleet's. It changes nothing.
func (t *table[T]) View(w, h int) []string {
	st := t.ctx.Styles
	lay := t.lay
	mw := t.markWidth()
	if w != t.width {
		lay = layoutColumns(t.cols, w-mw)
	}
	lines := make([]string, 0, h)
	lines = append(lines, st.Header.Render(fit(strings.Repeat(" ", mw)+t.heading(lay), w)))
	if len(t.rows) == 0 {
		lines = append(lines, st.Muted.Render(fit(t.spec.empty(len(t.filter) > 0), w)))
		return padLines(lines, w, h)
	}
	rc := &rowCtx{now: t.ctx.Now(), styles: st, changedAt: t.ctx.ChangedAt, actions: t.ctx.Actions}
	for l := t.offset; l < t.lineCount() && len(lines) < h; l++ {
		r := l
		if t.laidOut {
			if r = t.lines[l]; r < 0 {
				lines = append(lines, t.renderHead(&t.heads[-1-r], w))
				continue
			}
			if k := t.sub[l]; k >= 0 {
				lines = append(lines, t.renderRow(rc, lay, t.rows[r].subs[k], false, false, mw))
				continue
			}
		}
		row := &t.rows[r]
		lines = append(lines, t.renderRow(rc, lay, row.it, r == t.cursor, mw > 0 && t.isMarked(row.rank.Name), mw))
	}
	// Rows are exactly w wide already; only blank lines are missing.
	blank := strings.Repeat(" ", w)
	for len(lines) < h {
		lines = append(lines, blank)
	}
	return lines
}

// heading is the column titles; the sort column carries ▲ or ▼.
func (t *table[T]) heading(lay layout) string {
	var b strings.Builder
	for n, i := range lay.cols {
		if n > 0 {
			b.WriteByte(' ')
		}
		c, w := t.cols[i], lay.widths[n]
		title := c.title
		if i == t.sortCol {
			// The arrow goes on the side away from the values, so the
			// title stays where it is: after a left-aligned title, before
			// a right-aligned one ("▲ LEFT" over the numbers). Columns
			// have room for it (cellWidth); a flexible column squeezed
			// below that cuts its title instead.
			arrow := t.sortArrow()
			switch {
			case width(title)+2 > w:
				title = fit(title, max(0, w-1)) + arrow
			case c.right:
				title = arrow + " " + title
			default:
				title += " " + arrow
			}
		}
		if c.right {
			b.WriteString(fitRight(title, w))
		} else {
			b.WriteString(fit(title, w))
		}
	}
	return b.String()
}

// renderRow draws one item. The selected row is drawn in the selection
// style as a whole: per-cell colours inside it would reset the selection
// background at each cell boundary.
func (t *table[T]) renderRow(rc *rowCtx, lay layout, it T, selected, marked bool, markW int) string {
	paints := t.ctx.Paints
	var b strings.Builder
	switch {
	case marked && !selected:
		b.WriteString(paints.of(&rc.styles.Accent).apply(markGlyph) + " ")
	case marked:
		b.WriteString(markGlyph + " ")
	case markW > 0:
		b.WriteString("  ")
	}
	for n, i := range lay.cols {
		if n > 0 {
			b.WriteByte(' ')
		}
		c, w := t.cols[i], lay.widths[n]
		text, style := c.cell(rc, it)
		switch {
		case c.right:
			text = fitRight(text, w)
		case c.middle:
			text = fitMiddle(text, w)
		default:
			text = fit(text, w)
		}
		if style != nil && !selected {
			text = paints.of(style).apply(text)
		}
		b.WriteString(text)
	}
	if selected {
		return paints.of(&rc.styles.Selected).apply(b.String())
	}
	return b.String()
}

// renderHead is a group's heading line: its name, rows and counts.
func (t *table[T]) renderHead(h *groupHead, w int) string {
	st := t.ctx.Styles
	name := h.name
	if name == "" {
		name = "(no group)"
	}
	s := st.Title.Render("▾ "+clean(name)) + st.Muted.Render(fmt.Sprintf(" · %d", h.n))
	for _, status := range model.AllStatuses {
		if n := h.counts[status]; n > 0 {
			s += "  " + statusStyle(st, status).Render(fmt.Sprintf("%s %d %s", status.Glyph(), n, status))
		}
	}
	return fit(s, w)
}
