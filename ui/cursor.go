package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// cursorWindow is the cursor and the visible window of a table section:
// which row is selected and which rows are on screen. The fleet and bundle
// tables embed it so both move and scroll the same way.
type cursorWindow struct {
	cursor int // index into the table's visible order
	offset int // first visible row
	rows   int // visible rows, from the last layout
	// moved is set once the user moves the cursor: until then it stays
	// on the first row (the worst item) as rows arrive and re-sort.
	moved bool
}

// keepVisible keeps cursor and offset inside n rows and the cursor on screen.
func (w *cursorWindow) keepVisible(n int) {
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

func (w *cursorWindow) step(delta, n int) {
	w.moved = true
	w.cursor += delta
	w.keepVisible(n)
}

// navigate handles the movement keys (up, down, half pages, top, bottom)
// over n rows and reports whether msg was one of them.
func (w *cursorWindow) navigate(k *KeyMap, msg tea.KeyPressMsg, n int) bool {
	half := max(1, w.rows/2)
	switch {
	case key.Matches(msg, k.Up):
		w.step(-1, n)
	case key.Matches(msg, k.Down):
		w.step(1, n)
	case key.Matches(msg, k.PageUp):
		w.step(-half, n)
	case key.Matches(msg, k.PageDown):
		w.step(half, n)
	case key.Matches(msg, k.Top):
		w.step(-n, n)
	case key.Matches(msg, k.Bottom):
		w.step(n, n)
	default:
		return false
	}
	return true
}
