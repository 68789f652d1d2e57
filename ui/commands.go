package ui

import (
	"fmt"
	"slices"
	"strings"

	"certdeck/model"
	"certdeck/rotate"
	"certdeck/themes"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// command is one `:` command. A command that changes the world names the
// key binding it stands for, so read-only mode refuses it at the same
// dispatch point as the key (handleKey) and with the same words.
type command struct {
	name    string
	aliases []string
	usage   string // the arguments, for errors: "BUNDLE [VERSION]"
	help    string // what it does, for the ? screen
	// binding is the mutating key this command does the work of; nil when
	// the command changes nothing.
	binding *key.Binding
	// complete lists the candidates for argument i (0 is the first after
	// the command's name); nil: none.
	complete func(m *Model, i int) []string
	run      func(m *Model, args []string) tea.Cmd
	// unlisted keeps a command out of help, lists and completion (:q!).
	unlisted bool
}

// commands are the console's `:` commands, in the order tab lists them.
func (m *Model) commands() []command {
	k := m.ctx.Keys
	cmds := []command{
		{name: "reload", usage: "NAME…", help: "reload + verify", binding: &k.Fix,
			complete: completeSubjects, run: (*Model).cmdReload},
		{name: "publish", usage: "BUNDLE", help: "publish", binding: &k.Publish,
			complete: firstArg(publishable), run: (*Model).cmdPublish},
		{name: "rollback", usage: "BUNDLE [VERSION]", help: "roll back", binding: &k.Rollback,
			complete: firstArg(storeBundles), run: (*Model).cmdRollback},
		{name: "cancel", usage: "[SUBJECT]", help: "stop a running action",
			complete: firstArg(runningSubjects), run: (*Model).cmdCancel},
		{name: "filter", usage: "WORDS…", help: "filter as / does", run: (*Model).cmdFilter},
		{name: "theme", usage: "NAME", help: "switch theme",
			complete: firstArg(func(*Model) []string { return themes.BuiltinNames() }), run: (*Model).cmdTheme},
		{name: "q", aliases: []string{"quit"}, help: "quit", run: func(m *Model, _ []string) tea.Cmd { return m.requestQuit() }},
		// vim's "quit, I mean it": no question, but what runs is still
		// cancelled and its outcome awaited and printed (quit.go).
		{name: "q!", unlisted: true, run: func(m *Model, _ []string) tea.Cmd { return m.beginQuit() }},
	}
	if len(m.state.TicketKeys()) > 0 { // offered where it can act: ticket_keys are configured
		rot := command{name: "rotate-tickets", usage: "NAME", help: "rotate ticket keys", binding: &k.RotateTickets,
			complete: firstArg(ticketEntries), run: (*Model).cmdRotateTickets}
		cmds = slices.Insert(cmds, 3, rot)
	}
	return cmds
}

// offered says whether the console offers c: read-only mode disables
// the bindings of the mutating keys, and with them the commands doing
// their work, in help, in the list of commands and in tab completion.
func (c *command) offered() bool { return !c.unlisted && (c.binding == nil || c.binding.Enabled()) }

// commandHelp is the ? screen's column of commands (those read-only
// mode leaves).
func (m *Model) commandHelp() []key.Binding {
	var out []key.Binding
	for _, c := range m.commands() {
		if !c.offered() {
			continue
		}
		out = append(out, hint(strings.TrimSpace(":"+c.name+" "+c.usage), c.help))
	}
	return out
}

// findCommand is the command called name (or by an alias), nil if none.
func (m *Model) findCommand(name string) *command {
	for _, c := range m.commands() {
		if c.name == name || slices.Contains(c.aliases, name) {
			return &c
		}
	}
	return nil
}

// commandNames lists the commands for "unknown command" errors.
func (m *Model) commandNames() string {
	var names []string
	for _, c := range m.commands() {
		if !c.offered() {
			continue // read-only: not offered
		}
		names = append(names, ":"+c.name)
	}
	return strings.Join(names, " ")
}

// parseCommand splits a line into its command and arguments.
func (m *Model) parseCommand(line string) (*command, []string, error) {
	f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), ":"))
	if len(f) == 0 {
		return nil, nil, nil
	}
	c := m.findCommand(f[0])
	if c == nil {
		return nil, nil, fmt.Errorf("unknown command :%s; commands: %s", clean(f[0]), m.commandNames())
	}
	return c, f[1:], nil
}

// runCommand runs a line typed after `:` (read-only mode has refused a
// mutating one before this, in handleKey). Errors stay on screen until
// esc.
func (m *Model) runCommand(line string) tea.Cmd {
	c, args, err := m.parseCommand(line)
	if err != nil {
		m.setError(err.Error())
		return nil
	}
	if c == nil {
		return nil
	}
	return c.run(m, args)
}

func (m *Model) usageError(name, usage string) tea.Cmd {
	m.setError(fmt.Sprintf(":%s needs %s", name, usage))
	return nil
}

// cmdReload is :reload NAME…: the named bundles and endpoints reloaded
// and verified, each name resolved as `certdeck reload` resolves it.
func (m *Model) cmdReload(args []string) tea.Cmd {
	if len(args) == 0 {
		return m.usageError("reload", "bundle or endpoint names (tab completes them)")
	}
	return m.reloadNames(args)
}

// bundleArg finds the bundle a command names, or says which exist.
func (m *Model) bundleArg(cmd, name string) *model.BundleState {
	if bs := m.state.Bundle(name); bs != nil {
		return bs
	}
	var names []string
	for _, bs := range m.state.Bundles() {
		names = append(names, clean(bs.Bundle.Name))
	}
	if len(names) == 0 {
		m.setError(fmt.Sprintf(":%s %s: no bundles configured", cmd, clean(name)))
		return nil
	}
	m.setError(fmt.Sprintf(":%s %s: no bundle of that name (bundles: %s)", cmd, clean(name), listNames(names, 6)))
	return nil
}

// cmdPublish is :publish BUNDLE: p on that bundle, whatever is selected.
func (m *Model) cmdPublish(args []string) tea.Cmd {
	if len(args) != 1 {
		return m.usageError("publish", "one BUNDLE")
	}
	bs := m.bundleArg("publish", args[0])
	if bs == nil {
		return nil
	}
	return m.startBundleAction("publish", bs, "")
}

// cmdRollback is :rollback BUNDLE [VERSION]: b on that bundle, to the
// version named (default: the store's rollback target, the version
// current before the present one was published).
func (m *Model) cmdRollback(args []string) tea.Cmd {
	if len(args) < 1 || len(args) > 2 {
		return m.usageError("rollback", "BUNDLE [VERSION]")
	}
	bs := m.bundleArg("rollback", args[0])
	if bs == nil {
		return nil
	}
	version := ""
	if len(args) == 2 {
		version = args[1]
	}
	return m.startBundleAction("rollback", bs, version)
}

// cmdCancel is :cancel [SUBJECT]: the engine cancels the running action
// on SUBJECT (the only one running when none is named); it stops at its
// next step or probe, and its outcome says it was cancelled.
func (m *Model) cmdCancel(args []string) tea.Cmd {
	running := m.ctx.Actions.running
	var pick []rotate.Running
	for _, r := range running {
		if len(args) == 0 || slices.Contains(args, r.Subject) {
			pick = append(pick, r)
		}
	}
	switch {
	case len(running) == 0:
		m.setFlash(":cancel: no action is running")
		return nil
	case len(pick) == 0:
		m.setError(fmt.Sprintf(":cancel %s: no action is running on it (running: %s)", clean(strings.Join(args, " ")), listNames(runningSubjects(m), 4)))
		return nil
	case len(args) == 0 && len(pick) > 1:
		m.setError(fmt.Sprintf(":cancel needs the subject: %d actions run (%s)", len(pick), listNames(runningSubjects(m), 4)))
		return nil
	}
	reg := m.opts.Engine.Registry()
	names := make([]string, len(pick))
	for i, r := range pick {
		names[i] = clean(r.Kind + " " + r.Subject)
		m.ctx.Actions.cancelled[actionKey(r.Kind, r.Subject)] = true
	}
	m.setFlash("cancelling " + listNames(names, 3) + "…")
	return func() tea.Msg {
		for _, r := range pick {
			reg.Cancel(r.ID)
		}
		return nil
	}
}

// runningSubjects completes :cancel.
func runningSubjects(m *Model) []string {
	var out []string
	for _, r := range m.ctx.Actions.running {
		out = append(out, r.Subject)
	}
	return out
}

// cmdFilter is :filter WORDS…, the same filter as `/`; no words clear it.
func (m *Model) cmdFilter(args []string) tea.Cmd {
	m.setFilter(strings.Join(args, " "))
	if len(args) == 0 {
		m.setFlash("filter cleared")
	}
	return nil
}

// themeMsg is a user theme file read in a Cmd.
type themeMsg struct {
	name  string
	theme themes.Theme
	err   error
}

// cmdTheme is :theme NAME: a built-in at once; a user theme file is read
// in a Cmd (Update does no I/O).
func (m *Model) cmdTheme(args []string) tea.Cmd {
	if len(args) != 1 {
		return m.usageError("theme", "NAME ("+strings.Join(themes.BuiltinNames(), ", ")+" or a theme file's name)")
	}
	name := args[0]
	if t, ok := themes.Builtin(name); ok {
		m.onTheme(themeMsg{name: name, theme: t})
		return nil
	}
	dir := m.opts.ThemeDir
	return func() tea.Msg {
		t, err := themes.Named(name, dir)
		return themeMsg{name: name, theme: t, err: err}
	}
}

// onTheme switches to a theme the operator chose: the terminal's
// background reply no longer overrides it.
func (m *Model) onTheme(msg themeMsg) {
	if msg.err != nil {
		m.setError(":theme: " + clean(msg.err.Error()))
		return
	}
	m.opts.ThemeDecided = true
	m.setTheme(msg.theme)
	m.setFlash("theme " + clean(msg.name))
}

// completeSubjects completes :reload: bundles, then endpoints; a name
// both kinds have is also offered as bundle/NAME and endpoint/NAME,
// which the engine reads as the choice.
func completeSubjects(m *Model, _ int) []string {
	var out []string
	for _, bs := range m.state.Bundles() {
		out = append(out, bs.Bundle.Name)
	}
	for _, es := range m.state.Endpoints() {
		name := es.Endpoint.Name
		if m.state.Bundle(name) == nil {
			out = append(out, name)
		} else {
			out = append(out, "bundle/"+name, "endpoint/"+name)
		}
	}
	return out
}

// firstArg completes the first argument only.
func firstArg(names func(*Model) []string) func(*Model, int) []string {
	return func(m *Model, i int) []string {
		if i != 0 {
			return nil
		}
		return names(m)
	}
}

// publishable are the store bundles with a source: to publish from.
func publishable(m *Model) []string {
	var out []string
	for _, bs := range m.state.Bundles() {
		if isStoreBundle(bs) && bs.Bundle.Source != "" {
			out = append(out, bs.Bundle.Name)
		}
	}
	return out
}

// storeBundles are the bundles a rollback can act on.
func storeBundles(m *Model) []string {
	var out []string
	for _, bs := range m.state.Bundles() {
		if isStoreBundle(bs) {
			out = append(out, bs.Bundle.Name)
		}
	}
	return out
}
