// Package themes owns the console's colours: the semantic tokens every view
// draws with (text, muted, border, selection, accent, the five statuses,
// changed), the built-in themes, user theme files in
// $XDG_CONFIG_HOME/certdeck/themes/NAME.yaml, the rule that picks one
// (flag, NO_COLOR, config, terminal background, default), and the Styles
// built from a theme once at start so View never constructs a style.
//
// It imports no certdeck package: the console hands it names and gets
// lipgloss styles back.
package themes
