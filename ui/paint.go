package ui

import (
	"strings"

	"certdeck/themes"

	"charm.land/lipgloss/v2"
)

// paint is a style reduced to the escape sequences around its text. Table
// cells only set colours and attributes, so wrapping them in a prefix and
// suffix is exact, and a frame of 50 rows x 12 cells costs string
// concatenation instead of 600 lipgloss layouts.
type paint struct{ pre, post string }

func (p paint) apply(s string) string {
	if p.pre == "" {
		return s
	}
	return p.pre + s + p.post
}

// paintMarker is rendered through a style to find its prefix and suffix.
const paintMarker = "\x00"

func paintOf(st lipgloss.Style) paint {
	r := st.Render(paintMarker)
	i := strings.Index(r, paintMarker)
	if i < 0 {
		return paint{}
	}
	return paint{pre: r[:i], post: r[i+len(paintMarker):]}
}

// paints holds the paint of each style a cell may return, by address:
// styles live in one *themes.Styles for the life of a theme. It is built
// with the styles, so View only reads it.
type paints map[*lipgloss.Style]paint

func newPaints(s *themes.Styles) paints {
	p := paints{}
	for _, st := range []*lipgloss.Style{&s.Text, &s.Muted, &s.Accent, &s.Changed, &s.Selected,
		&s.OK, &s.Warn, &s.Crit, &s.Error, &s.Unknown} {
		p[st] = paintOf(*st)
	}
	return p
}

// of returns the paint of st; a style not prepared is reduced on the spot.
func (p paints) of(st *lipgloss.Style) paint {
	if pt, ok := p[st]; ok {
		return pt
	}
	return paintOf(*st)
}
