package ui

import (
	"slices"
	"strings"
	"time"

	"certdeck/model"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// table is what every section shares: its rows filtered and sorted, the
// cursor, the window of rows on screen, the sort column, grouping and the
// column layout. A section supplies the items, how to rank, group and
// filter them, and its columns; the table does the rest, so every tab
// moves, sorts, groups and counts alike.
//
// The cursor is an item, not a line: it stays on the same endpoint when
// rows re-sort under it (pug keeps rows by ID for the same reason).
type table[T any] struct {
	ctx  *Context
	spec tableSpec[T]
	cols []column[T]
	lay  layout

	width, height int // from SetSize: the heading plus the rows on screen

	sortCol int // index into cols; the default is the worst-first column
	reverse bool
	grouped bool
	filter  []string

	keys  []row[T]    // every item with its sort keys, in the section's item order
	order []int       // indices into keys, sorted (the previous refresh's order to start from)
	rows  []row[T]    // the items that match the filter, in display order
	heads []groupHead // when grouped: one heading per group, in order
	// When laidOut (grouped, or a row has sub-lines): each screen line's
	// row (>= 0) or heading (-1 - index), which of the row's sub-lines it
	// is (sub; -1 for the row itself), and each row's screen line.
	laidOut bool
	lines   []int
	sub     []int
	lineOf  []int
	cursor  int // index into rows
	offset  int // first line on screen
	// moved is set once the user moves the cursor: until then it stays on
	// the first row (the worst item) as rows arrive and re-sort. pin is
	// the item the user moved to.
	moved bool
	pin   string

	counts statusCounts // over every item, filtered or not
	total  int

	// marks are the marked rows by name, markedShown how many of them the
	// filter lets through (table_marks.go).
	marks       map[string]struct{}
	markedShown int
}

// tableSpec is what a section tells its table about its items.
type tableSpec[T any] struct {
	items func() []T
	rank  func(it T, now time.Time) model.Rank
	group func(it T) string
	match func(it T, words []string) bool
	// empty is the line shown when no row is left ("" for the default).
	empty func(filtered bool) string
	// subs, when set, gives the items shown on lines of their own under
	// an item (not selectable, not counted: the addresses of an endpoint
	// probed at every address), rendered with the same columns.
	subs func(it T, now time.Time) []T
}

// row is one item with its sort keys, computed once per refresh, and the
// sub-items shown on lines under it (tableSpec.subs).
type row[T any] struct {
	it    T
	rank  model.Rank
	group string
	subs  []T
}

// groupHead is the heading line of one group: its name and counts.
type groupHead struct {
	name   string
	n      int
	counts statusCounts
}

// statusCounts is a count per status, indexed by model.Status.
type statusCounts [model.Error + 1]int

func newTable[T any](ctx *Context, spec tableSpec[T], cols []column[T]) table[T] {
	return table[T]{ctx: ctx, spec: spec, cols: cols}
}

// SetSize sizes the table: h lines, the heading included. Called from
// Update (resize, mode change), so View never moves the window.
func (t *table[T]) SetSize(w, h int) {
	t.width, t.height = w, h
	t.relayout()
	t.keepVisible()
}

// relayout chooses the columns for the width.
func (t *table[T]) relayout() { t.lay = layoutColumns(t.cols, t.width-t.markWidth()) }

// SetFilter narrows the rows to those matching every word. The order is
// the last refresh's: typing re-filters, it does not re-rank or re-sort.
func (t *table[T]) SetFilter(words []string) {
	t.filter = words
	t.applyFilter(t.selected())
}

// selected is the item the cursor belongs on once the user has moved it
// ("" otherwise: the cursor then stays on the first row): the last one
// the user moved to, even while a filter hides it, so clearing the filter
// brings the cursor back to it.
func (t *table[T]) selected() string {
	if t.moved {
		return t.pin
	}
	return ""
}

// refresh re-ranks and re-sorts every item, then re-filters, keeping the
// cursor on its item once the user has moved it. Items are kept in the
// order of the previous refresh (order), so when nothing moved the check
// that they are still sorted is all the sorting there is: a batch that
// changes no rank costs one comparison per row, not a sort of 10,000.
func (t *table[T]) refresh() {
	selected := t.selected()
	now := t.ctx.Now()
	all := t.spec.items()
	t.total = len(all)
	t.counts = statusCounts{}
	t.keys = t.keys[:0]
	for _, it := range all {
		r := row[T]{it: it, rank: t.spec.rank(it, now)}
		t.counts[r.rank.Status]++
		if t.grouped {
			r.group = t.spec.group(it)
		}
		if t.spec.subs != nil {
			r.subs = t.spec.subs(it, now)
		}
		t.keys = append(t.keys, r)
	}
	if len(t.order) != len(t.keys) {
		t.order = t.order[:0]
		for i := range t.keys {
			t.order = append(t.order, i)
		}
	}
	by := t.cols[t.sortCol].compare
	// Names are unique per kind and end every comparison, so the order is
	// total and an unstable sort is as steady as a stable one.
	cmp := func(i, j int) int {
		a, b := &t.keys[i], &t.keys[j]
		if t.grouped && a.group != b.group {
			return compareGroups(a.group, b.group)
		}
		c := 0
		if by != nil {
			c = by(a.it, b.it)
		}
		if c == 0 {
			c = model.CompareWorstFirst(a.rank, b.rank)
		}
		if t.reverse {
			c = -c
		}
		return c
	}
	if !slices.IsSortedFunc(t.order, cmp) {
		slices.SortFunc(t.order, cmp)
	}
	t.applyFilter(selected)
}

// applyFilter lays out the rows that match the filter, in the sorted
// order, and puts the cursor back on selected when it is shown.
func (t *table[T]) applyFilter(selected string) {
	t.rows = t.rows[:0]
	for _, i := range t.order {
		if len(t.filter) > 0 && !t.spec.match(t.keys[i].it, t.filter) {
			continue
		}
		t.rows = append(t.rows, t.keys[i])
	}
	t.buildGroups()
	t.countMarks()
	if selected != "" {
		for i := range t.rows {
			if t.rows[i].rank.Name == selected {
				t.cursor = i
				break
			}
		}
	}
	t.keepVisible()
}

// compareGroups orders groups by name, rows with no group last.
func compareGroups(a, b string) int {
	switch {
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return strings.Compare(a, b)
}

// buildGroups lays out the screen lines when they are not simply the
// rows: grouped rows under their headings, and rows with sub-lines (the
// addresses of an all_ips endpoint) followed by them.
func (t *table[T]) buildGroups() {
	t.heads, t.lines, t.lineOf, t.sub = t.heads[:0], t.lines[:0], t.lineOf[:0], t.sub[:0]
	t.laidOut = t.grouped
	for i := range t.rows {
		t.laidOut = t.laidOut || len(t.rows[i].subs) > 0
	}
	if !t.laidOut {
		return
	}
	for i, r := range t.rows {
		if t.grouped && (i == 0 || r.group != t.rows[i-1].group) {
			t.heads = append(t.heads, groupHead{name: r.group})
			t.lines, t.sub = append(t.lines, -len(t.heads)), append(t.sub, -1)
		}
		if t.grouped {
			h := &t.heads[len(t.heads)-1]
			h.n++
			h.counts[r.rank.Status]++
		}
		t.lineOf = append(t.lineOf, len(t.lines))
		t.lines, t.sub = append(t.lines, i), append(t.sub, -1)
		for k := range r.subs {
			t.lines, t.sub = append(t.lines, i), append(t.sub, k)
		}
	}
}

// lineCount is the number of screen lines the rows take.
func (t *table[T]) lineCount() int {
	if t.laidOut {
		return len(t.lines)
	}
	return len(t.rows)
}

func (t *table[T]) line(row int) int {
	if t.laidOut {
		return t.lineOf[row]
	}
	return row
}

// visibleLines is how many rows fit under the heading.
func (t *table[T]) visibleLines() int { return max(0, t.height-1) }

// keepVisible keeps cursor and offset inside the rows and the cursor on
// screen, with its group's heading when it is the group's first row, and
// its sub-lines when they fit.
func (t *table[T]) keepVisible() {
	n := len(t.rows)
	t.cursor = max(0, min(t.cursor, n-1))
	vis := t.visibleLines()
	if vis <= 0 || n == 0 {
		t.offset = 0
		return
	}
	l := t.line(t.cursor)
	top := l
	if t.grouped && l > 0 && t.lines[l-1] < 0 {
		top = l - 1
	}
	// The row's sub-lines come into view with it, as far as they fit.
	end := l + len(t.rows[t.cursor].subs)
	if top < t.offset {
		t.offset = top
	}
	if end >= t.offset+vis {
		t.offset = min(end-vis+1, l)
	}
	t.offset = max(0, min(t.offset, t.lineCount()-vis))
}

// pinCursor keeps the cursor on the row it is on from now on. Until the
// operator does anything the cursor rides the top row (the worst item)
// as rows arrive; any key aimed at the table (x, p, enter, a sort, a
// mark) means they have chosen that row, and it must not slide away when
// the action's result re-sorts the rows.
func (t *table[T]) pinCursor() {
	if t.moved || t.cursor >= len(t.rows) {
		return
	}
	t.moved = true
	t.pin = t.rows[t.cursor].rank.Name
}

func (t *table[T]) step(delta int) {
	t.moved = true
	t.cursor += delta
	t.keepVisible()
	if t.cursor < len(t.rows) {
		t.pin = t.rows[t.cursor].rank.Name
	}
}

// selection is the item under the cursor; ok is false when there is none.
func (t *table[T]) selection() (it T, ok bool) {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return it, false
	}
	return t.rows[t.cursor].it, true
}

// handleTableKey handles what every table does: move, sort, group. It
// reports whether msg was one of those keys.
func (t *table[T]) handleTableKey(msg tea.KeyPressMsg) bool {
	t.pinCursor()
	k := t.ctx.Keys
	n := len(t.rows)
	half := max(1, t.visibleLines()/2)
	switch {
	case key.Matches(msg, k.Up):
		t.step(-1)
	case key.Matches(msg, k.Down):
		t.step(1)
	case key.Matches(msg, k.PageUp):
		t.step(-half)
	case key.Matches(msg, k.PageDown):
		t.step(half)
	case key.Matches(msg, k.Top):
		t.step(-n)
	case key.Matches(msg, k.Bottom):
		t.step(n)
	case key.Matches(msg, k.Sort):
		t.sortCol = t.nextSortColumn()
		t.reverse = false
		t.refresh()
	case key.Matches(msg, k.SortReverse):
		t.reverse = !t.reverse
		t.refresh()
	case key.Matches(msg, k.Group):
		t.grouped = !t.grouped
		t.refresh()
	case key.Matches(msg, k.Mark):
		t.toggleMark()
	default:
		return false
	}
	return true
}

// nextSortColumn is the next sortable column on screen after the current
// one: `s` never sorts by a column the operator cannot see.
func (t *table[T]) nextSortColumn() int {
	var onScreen []int
	for _, i := range t.lay.cols {
		if t.cols[i].sortable() {
			onScreen = append(onScreen, i)
		}
	}
	if len(onScreen) == 0 {
		return t.sortCol
	}
	at := slices.Index(onScreen, t.sortCol)
	return onScreen[(at+1)%len(onScreen)]
}

// tableSummary is what the header says about the active table.
type tableSummary struct {
	shown, total int
	position     int    // 1-based row of the cursor; 0 when there are no rows
	offScreen    string // the sort, when its column is not on screen ("sort: address ▲")
	// marked rows, and how many of them the filter hides.
	marked, markedHidden int
}

func (t *table[T]) Summary() tableSummary {
	s := tableSummary{shown: len(t.rows), total: t.total, marked: len(t.marks), markedHidden: len(t.marks) - t.markedShown}
	if len(t.rows) > 0 {
		s.position = t.cursor + 1
	}
	if !slices.Contains(t.lay.cols, t.sortCol) {
		s.offScreen = "sort: " + strings.ToLower(t.cols[t.sortCol].title) + " " + t.sortArrow()
	}
	return s
}

// sortArrow is ▼ for a column's descending order (status: worst first) and
// ▲ for ascending (fewest days left, A to Z); S flips it.
func (t *table[T]) sortArrow() string {
	if t.cols[t.sortCol].descending != t.reverse {
		return "▼"
	}
	return "▲"
}

// Counts is how many items have each status (the header's counts).
func (t *table[T]) Counts() statusCounts { return t.counts }

// Len is how many items the section has, filtered or not.
func (t *table[T]) Len() int { return t.total }
