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

	rows   []row[T]    // the items that match the filter, in display order
	heads  []groupHead // when grouped: one heading per group, in order
	lines  []int       // when grouped: each screen line's row (>= 0) or heading (-1 - index)
	lineOf []int       // when grouped: each row's screen line
	cursor int         // index into rows
	offset int         // first line on screen
	// moved is set once the user moves the cursor: until then it stays on
	// the first row (the worst item) as rows arrive and re-sort.
	moved bool

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
}

// row is one item with its sort keys, computed once per refresh.
type row[T any] struct {
	it    T
	rank  model.Rank
	group string
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

// SetFilter narrows the rows to those matching every word.
func (t *table[T]) SetFilter(words []string) {
	t.filter = words
	t.refresh()
}

// refresh re-ranks, re-filters and re-sorts every item, keeping the
// cursor on its item once the user has moved it.
func (t *table[T]) refresh() {
	selected, had := "", false
	if t.cursor < len(t.rows) {
		selected, had = t.rows[t.cursor].rank.Name, true
	}
	now := t.ctx.Now()
	all := t.spec.items()
	t.total = len(all)
	t.counts = statusCounts{}
	t.rows = t.rows[:0]
	for _, it := range all {
		r := row[T]{it: it, rank: t.spec.rank(it, now)}
		t.counts[r.rank.Status]++
		if len(t.filter) > 0 && !t.spec.match(it, t.filter) {
			continue
		}
		if t.grouped {
			r.group = t.spec.group(it)
		}
		t.rows = append(t.rows, r)
	}
	by := t.cols[t.sortCol].compare
	// Names are unique per kind and end every comparison, so the order is
	// total and an unstable sort is as steady as a stable one (and faster:
	// 10,000 rows are re-sorted after each batch).
	slices.SortFunc(t.rows, func(a, b row[T]) int {
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
	})
	t.buildGroups()
	t.countMarks()
	if had && t.moved {
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

// buildGroups lays out the heading lines of grouped rows.
func (t *table[T]) buildGroups() {
	t.heads, t.lines, t.lineOf = t.heads[:0], t.lines[:0], t.lineOf[:0]
	if !t.grouped {
		return
	}
	for i, r := range t.rows {
		if i == 0 || r.group != t.rows[i-1].group {
			t.heads = append(t.heads, groupHead{name: r.group})
			t.lines = append(t.lines, -len(t.heads))
		}
		h := &t.heads[len(t.heads)-1]
		h.n++
		h.counts[r.rank.Status]++
		t.lineOf = append(t.lineOf, len(t.lines))
		t.lines = append(t.lines, i)
	}
}

// lineCount is the number of screen lines the rows take.
func (t *table[T]) lineCount() int {
	if t.grouped {
		return len(t.lines)
	}
	return len(t.rows)
}

func (t *table[T]) line(row int) int {
	if t.grouped {
		return t.lineOf[row]
	}
	return row
}

// visibleLines is how many rows fit under the heading.
func (t *table[T]) visibleLines() int { return max(0, t.height-1) }

// keepVisible keeps cursor and offset inside the rows and the cursor on
// screen, with its group's heading when it is the group's first row.
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
	if top < t.offset {
		t.offset = top
	}
	if l >= t.offset+vis {
		t.offset = l - vis + 1
	}
	t.offset = max(0, min(t.offset, t.lineCount()-vis))
}

func (t *table[T]) step(delta int) {
	t.moved = true
	t.cursor += delta
	t.keepVisible()
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
