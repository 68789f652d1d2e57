package ui

import "charm.land/bubbles/v2/key"

// KeyMap holds every binding; help is generated from it, so what `?`
// shows is what the keys do.
//
// g/G go to top/bottom as in less and k9s; grouping by the `group` field
// is on `o` ("organise"), because DESIGN's navigation keys claim g.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom         key.Binding
	Detail, Back, Filter, Help, Events, NextSection key.Binding
	Sort, SortReverse, Group                        key.Binding
	Probe, ProbeAll, Copy, CopyFingerprint          key.Binding
	Publish, Rollback                               key.Binding
	Quit                                            key.Binding
	// Mutating lists bindings that change the world (rotate, reload).
	// Read-only mode disables them at one place (dispatch) and hides them
	// from help.
	Mutating []*key.Binding
}

// DefaultKeys is the keymap of DESIGN's console conventions.
func DefaultKeys() *KeyMap {
	k := &KeyMap{
		Up:              key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:            key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		PageUp:          key.NewBinding(key.WithKeys("ctrl+u", "pgup"), key.WithHelp("ctrl+u", "half page up")),
		PageDown:        key.NewBinding(key.WithKeys("ctrl+d", "pgdown"), key.WithHelp("ctrl+d", "half page down")),
		Top:             key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:          key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Detail:          key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "detail")),
		Back:            key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear filter")),
		Filter:          key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Help:            key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Events:          key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "event log")),
		NextSection:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next section")),
		Sort:            key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by next column")),
		SortReverse:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		Group:           key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "group by group")),
		Probe:           key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-probe selected")),
		ProbeAll:        key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "re-probe all")),
		Copy:            key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy serial")),
		CopyFingerprint: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "copy SHA-256")),
		Quit:            key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Publish:         key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "publish from source")),
		Rollback:        key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "roll back")),
	}
	k.Mutating = []*key.Binding{&k.Publish, &k.Rollback}
	return k
}

// SetReadOnly disables every mutating binding, which also drops it from
// help (bubbles' help skips disabled bindings).
func (k *KeyMap) SetReadOnly(ro bool) {
	for _, b := range k.Mutating {
		b.SetEnabled(!ro)
	}
}

// ShortHelp is the one-line hint at the bottom of the screen.
func (k *KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Filter, k.Detail, k.Events, k.Sort, k.Probe, k.Quit}
}

// BundleHelp is the footer hint on the Bundles tab: the actions live
// there (disabled bindings, in read-only mode, are not shown).
func (k *KeyMap) BundleHelp() []key.Binding {
	return []key.Binding{k.Help, k.Detail, k.Publish, k.Rollback, k.Probe, k.NextSection, k.Quit}
}

// ModeHelp is the footer hint for a mode other than normal: the keys
// that do something there.
func (k *KeyMap) ModeHelp(detail bool) []key.Binding {
	if detail {
		return []key.Binding{k.Back, k.Up, k.Down, k.PageDown, k.Copy, k.CopyFingerprint, k.Probe, k.Quit}
	}
	return []key.Binding{k.Back, k.Up, k.Down, k.Bottom, k.Quit}
}

// FullHelp is the `?` screen, one column per concern.
func (k *KeyMap) FullHelp() [][]key.Binding {
	cols := [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.NextSection},
		{k.Detail, k.Events, k.Filter, k.Sort, k.SortReverse, k.Group, k.Back},
		{k.Probe, k.ProbeAll, k.Copy, k.CopyFingerprint, k.Help, k.Quit},
	}
	var mutating []key.Binding
	for _, b := range k.Mutating {
		if b.Enabled() {
			mutating = append(mutating, *b)
		}
	}
	if len(mutating) > 0 {
		cols = append(cols, mutating)
	}
	return cols
}
