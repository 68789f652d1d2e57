package ui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// cursorWindow is a table section's rows in visible order, the selected
// row and the window of rows on screen. The fleet and bundle tables embed
// it so both select, move and scroll the same way. Rows are names, so the
// cursor can stay on the same item when rows re-sort under it.
type cursorWindow struct {
	order  []string // names in visible order
	cursor int      // index into order
	offset int      // first visible row
	rows   int      // visible rows, from the last layout
	// moved is set once the user moves the cursor: until then it stays
	// on the first row (the worst item) as rows arrive and re-sort.
	moved bool
}

// Selected is the name under the cursor, or "" when there are no rows.
func (w *cursorWindow) Selected() string {
	if w.cursor < 0 || w.cursor >= len(w.order) {
		return ""
	}
	return w.order[w.cursor]
}

// follow puts the cursor back on selected after order was rebuilt (once
// the user has moved it), and keeps it on screen.
func (w *cursorWindow) follow(selected string) {
	if i := slices.Index(w.order, selected); i >= 0 && selected != "" && w.moved {
		w.cursor = i
	}
	w.keepVisible()
}

// keepVisible keeps cursor and offset inside the rows and the cursor on screen.
func (w *cursorWindow) keepVisible() {
	n := len(w.order)
	w.cursor = max(0, min(w.cursor, n-1))
	if w.rows <= 0 {
		w.offset = 0
		return
	}
	if w.cursor < w.offset {
		w.offset = w.cursor
	}
	if w.cursor >= w.offset+w.rows {
		w.offset = w.cursor - w.rows + 1
	}
	w.offset = max(0, min(w.offset, n-w.rows))
}

func (w *cursorWindow) step(delta int) {
	w.moved = true
	w.cursor += delta
	w.keepVisible()
}

// navigate handles the movement keys (up, down, half pages, top, bottom)
// and reports whether msg was one of them.
func (w *cursorWindow) navigate(k *KeyMap, msg tea.KeyPressMsg) bool {
	n := len(w.order)
	half := max(1, w.rows/2)
	switch {
	case key.Matches(msg, k.Up):
		w.step(-1)
	case key.Matches(msg, k.Down):
		w.step(1)
	case key.Matches(msg, k.PageUp):
		w.step(-half)
	case key.Matches(msg, k.PageDown):
		w.step(half)
	case key.Matches(msg, k.Top):
		w.step(-n)
	case key.Matches(msg, k.Bottom):
		w.step(n)
	default:
		return false
	}
	return true
}
