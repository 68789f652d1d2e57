package themes

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles are built from a Theme once, when the theme is chosen or changes;
// views only call Render on them, so rendering never allocates styles.
type Styles struct {
	Theme Theme

	Text     lipgloss.Style
	Muted    lipgloss.Style
	Border   lipgloss.Style // rules and separators drawn as text
	Accent   lipgloss.Style
	Title    lipgloss.Style // pane and section titles
	Selected lipgloss.Style // the cursor row
	Changed  lipgloss.Style
	Header   lipgloss.Style // column headings

	OK, Warn, Crit, Error, Unknown lipgloss.Style

	Help help.Styles
}

// NewStyles builds every style a view needs from t.
func NewStyles(t Theme) *Styles {
	fg := func(c Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c.lipgloss()) }
	s := &Styles{Theme: t}
	s.Text = fg(t.Text)
	s.Muted = fg(t.Muted).Faint(t.Mono)
	s.Border = fg(t.Border)
	s.Accent = fg(t.Accent).Bold(true)
	s.Title = fg(t.Accent).Bold(true)
	s.Changed = fg(t.Changed).Underline(t.Mono).Bold(!t.Mono)
	s.Header = fg(t.Muted).Bold(true)
	if t.Selection == "" {
		s.Selected = lipgloss.NewStyle().Reverse(true)
	} else {
		s.Selected = lipgloss.NewStyle().Background(t.Selection.lipgloss()).Foreground(t.SelectionText.lipgloss())
	}
	s.OK = fg(t.OK)
	s.Warn = fg(t.Warn).Bold(true)
	s.Crit = fg(t.Crit).Bold(true)
	s.Error = fg(t.Error).Bold(true)
	s.Unknown = fg(t.Unknown)
	s.Help = help.Styles{
		Ellipsis:       s.Muted,
		ShortKey:       s.Accent,
		ShortDesc:      s.Muted,
		ShortSeparator: s.Border,
		FullKey:        s.Accent,
		FullDesc:       s.Text,
		FullSeparator:  s.Border,
	}
	return s
}
