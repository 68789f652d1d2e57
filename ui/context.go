package ui

import (
	"time"

	"certdeck/themes"
)

// Context is what every component shares: screen size, styles built once
// from the theme, the keymap, the read-only flag and the clock. Passing
// it explicitly (instead of globals) lets tests fix the clock and size.
type Context struct {
	Width, Height int
	Styles        *themes.Styles
	Keys          *KeyMap
	ReadOnly      bool
	Now           func() time.Time
}
