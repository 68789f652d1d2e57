package themes

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
)

// Color is a colour as themes write it: "" (the terminal's own default),
// an ANSI palette index "0".."255" (follows the terminal's palette), or
// "#rrggbb" / "#rgb".
type Color string

// Valid reports whether c is one of the accepted forms.
func (c Color) Valid() error {
	s := string(c)
	switch {
	case s == "":
		return nil
	case strings.HasPrefix(s, "#"):
		h := s[1:]
		if len(h) != 3 && len(h) != 6 {
			return fmt.Errorf("colour %q: want #rgb or #rrggbb", s)
		}
		if _, err := strconv.ParseUint(h, 16, 32); err != nil {
			return fmt.Errorf("colour %q: not hexadecimal", s)
		}
		return nil
	default:
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 255 {
			return fmt.Errorf("colour %q: want a palette index 0-255 or #rrggbb", s)
		}
		return nil
	}
}

// lipgloss converts a valid colour; "" is no colour (terminal default).
func (c Color) lipgloss() color.Color {
	if c == "" {
		return lipgloss.NoColor{}
	}
	return lipgloss.Color(string(c))
}

// Theme is a set of semantic tokens. Views ask for "the CRIT colour" or
// "muted text", never for red or grey, so one theme file recolours all.
type Theme struct {
	Name string `yaml:"-"`

	Text   Color `yaml:"text"`   // ordinary text
	Muted  Color `yaml:"muted"`  // secondary text: labels, hints, ages
	Border Color `yaml:"border"` // pane borders and rules
	Accent Color `yaml:"accent"` // titles, keys in help, the active filter
	// Selection is the background of the selected row; "" means reverse
	// video, which is legible in every terminal and in mono.
	Selection     Color `yaml:"selection"`
	SelectionText Color `yaml:"selection_text"`
	Changed       Color `yaml:"changed"` // a value that changed since the last probe

	OK      Color `yaml:"ok"`
	Warn    Color `yaml:"warn"`
	Crit    Color `yaml:"crit"`
	Error   Color `yaml:"error"`
	Unknown Color `yaml:"unknown"`

	// Mono themes carry meaning with attributes alone (bold, underline,
	// reverse); status words and glyphs already carry it in text.
	Mono bool `yaml:"-"`
}

// tokens lists every colour field by its YAML name, for validation and
// for inheriting from a base theme.
func (t *Theme) tokens() map[string]*Color {
	return map[string]*Color{
		"text": &t.Text, "muted": &t.Muted, "border": &t.Border, "accent": &t.Accent,
		"selection": &t.Selection, "selection_text": &t.SelectionText, "changed": &t.Changed,
		"ok": &t.OK, "warn": &t.Warn, "crit": &t.Crit, "error": &t.Error, "unknown": &t.Unknown,
	}
}

// Validate checks every token.
func (t *Theme) Validate() error {
	for name, c := range t.tokens() {
		if err := c.Valid(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
