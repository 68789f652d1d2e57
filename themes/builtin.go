package themes

import "sort"

// Built-in theme names.
const (
	ANSI         = "ansi"
	Dark         = "dark"
	Light        = "light"
	HighContrast = "high-contrast"
	Mono         = "mono"
)

// Default is used when nothing else chooses: palette indexes follow the
// terminal's own colour scheme, so it is readable on light and dark.
const Default = ANSI

var builtins = map[string]Theme{
	// ANSI uses the 16 palette slots only, so the terminal's scheme decides
	// the actual shades.
	ANSI: {
		Text: "", Muted: "8", Border: "8", Accent: "4",
		Selection: "", SelectionText: "", Changed: "5",
		OK: "2", Warn: "3", Crit: "1", Error: "9", Unknown: "8",
	},
	Dark: {
		Text: "#d0d0d0", Muted: "#808080", Border: "#4e4e4e", Accent: "#5fafff",
		Selection: "#303a4a", SelectionText: "#ffffff", Changed: "#d787ff",
		OK: "#5fd75f", Warn: "#ffd75f", Crit: "#ff5f5f", Error: "#ff8700", Unknown: "#8a8a8a",
	},
	Light: {
		Text: "#262626", Muted: "#6c6c6c", Border: "#b2b2b2", Accent: "#005fd7",
		Selection: "#d7e4f5", SelectionText: "#000000", Changed: "#8700af",
		OK: "#008700", Warn: "#875f00", Crit: "#d70000", Error: "#af5f00", Unknown: "#6c6c6c",
	},
	// High contrast: saturated colours at full brightness on black, for
	// low vision and washed-out projectors.
	HighContrast: {
		Text: "#ffffff", Muted: "#e4e4e4", Border: "#ffffff", Accent: "#00ffff",
		Selection: "#ffff00", SelectionText: "#000000", Changed: "#ff00ff",
		OK: "#00ff00", Warn: "#ffff00", Crit: "#ff0000", Error: "#ff8700", Unknown: "#ffffff",
	},
	Mono: {Mono: true},
}

// Builtin returns a built-in theme by name.
func Builtin(name string) (Theme, bool) {
	t, ok := builtins[name]
	t.Name = name
	return t, ok
}

// BuiltinNames lists the built-in themes, sorted.
func BuiltinNames() []string {
	var names []string
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
