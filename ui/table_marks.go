package ui

// Marks: space marks rows so that x, r and c act on all of them as one
// batch. A table keeps its own marks (marks are per section), by name:
// names are unique per kind, so a mark stays on its item while rows
// re-sort, and a filter that hides a marked row does not unmark it (the
// header says how many marked rows the filter hides).

// markGlyph is drawn in the mark column of a marked row: a glyph, so a
// mark never depends on colour.
const markGlyph = "●"

// markWidth is the cells the mark column takes: the glyph and a
// separator while anything is marked, nothing otherwise (as OCSP stays
// off screen in a fleet that staples nothing).
func (t *table[T]) markWidth() int {
	if len(t.marks) == 0 {
		return 0
	}
	return 2
}

// toggleMark marks or unmarks the row under the cursor and moves down
// one row, so a run of rows is marked by holding space.
func (t *table[T]) toggleMark() {
	if t.cursor >= len(t.rows) {
		return
	}
	name := t.rows[t.cursor].rank.Name
	if t.marks == nil {
		t.marks = map[string]struct{}{}
	}
	if _, on := t.marks[name]; on {
		delete(t.marks, name)
	} else {
		t.marks[name] = struct{}{}
	}
	t.countMarks()
	t.relayout() // the mark column comes and goes
	t.step(1)
}

func (t *table[T]) isMarked(name string) bool {
	_, on := t.marks[name]
	return on
}

// countMarks counts the marked rows the filter lets through; refresh
// calls it, so the header never scans the rows.
func (t *table[T]) countMarks() {
	t.markedShown = 0
	if len(t.marks) == 0 {
		return
	}
	for i := range t.rows {
		if t.isMarked(t.rows[i].rank.Name) {
			t.markedShown++
		}
	}
}

// ClearMarks unmarks every row; it reports whether any was marked.
func (t *table[T]) ClearMarks() bool {
	if len(t.marks) == 0 {
		return false
	}
	clear(t.marks)
	t.markedShown = 0
	t.relayout()
	return true
}

// Marked is the marked items: those on screen in display order, then
// those the filter hides, in the section's own order. It runs on a key
// press, never in View.
func (t *table[T]) Marked() []any {
	if len(t.marks) == 0 {
		return nil
	}
	out := make([]any, 0, len(t.marks))
	shown := make(map[string]bool, t.markedShown)
	for i := range t.rows {
		if name := t.rows[i].rank.Name; t.isMarked(name) {
			out = append(out, t.rows[i].it)
			shown[name] = true
		}
	}
	if len(out) == len(t.marks) {
		return out
	}
	now := t.ctx.Now()
	for _, it := range t.spec.items() {
		if name := t.spec.rank(it, now).Name; t.isMarked(name) && !shown[name] {
			out = append(out, it)
		}
	}
	return out
}

// marked is Marked typed: the items a batch acts on.
func (t *table[T]) marked() []T {
	var out []T
	for _, it := range t.Marked() {
		out = append(out, it.(T))
	}
	return out
}
