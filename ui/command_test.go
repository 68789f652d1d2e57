package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// typeLine opens the command line and types s, one key per rune.
func typeLine(m *Model, s string) tea.Cmd {
	press(m, ":")
	var last tea.Cmd
	for _, r := range s {
		k := string(r)
		if r == ' ' {
			k = "space"
		}
		last = press(m, k)
	}
	return last
}

// TestKeysTypedIntoTheCommandLineNeverAct: x, p, r, q, / typed after `:`
// are text: nothing is probed, no dialog opens, the console does not
// quit; esc leaves and nothing has happened.
func TestKeysTypedIntoTheCommandLineNeverAct(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	p := m.opts.Prober.(*fakeProber)
	before := len(p.triggered)
	for _, k := range []string{"x", "p", "b", "P", "r", "R", "q", "/", "?", "space", "tab", "l", "c"} {
		if m.mode != modeCommand {
			press(m, ":")
		}
		if cmd := press(m, k); cmd != nil {
			t.Fatalf("%s typed into the command line returned a command", k)
		}
		if m.mode != modeCommand {
			t.Fatalf("%s typed into the command line left it (mode %v)", k, m.mode)
		}
	}
	if !strings.Contains(lastLine(screen(m)), ":xpbPrRq/? ") {
		t.Fatalf("the typed text is not on the prompt: %q", lastLine(screen(m)))
	}
	press(m, "esc")
	if m.mode != modeNormal || len(p.triggered) != before || m.confirm != nil {
		t.Fatalf("after esc: mode %v, probes %v, dialog %v", m.mode, p.triggered, m.confirm)
	}
}

// TestTabCompletesCommandsAndFleetNames: the first word completes to a
// command, the next to names from the fleet; a shared prefix is taken
// first, then each tab shows the next candidate.
func TestTabCompletesCommandsAndFleetNames(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	typeLine(m, "rel")
	press(m, "tab")
	if m.cmd.text != "reload " {
		t.Fatalf("rel + tab: %q, want %q", m.cmd.text, "reload ")
	}
	press(m, "s", "h")
	if f := lastLine(screen(m)); !strings.Contains(f, "shopcert · shop") {
		t.Fatalf("the prompt does not list the names starting with sh: %q", f)
	}
	press(m, "tab")
	if m.cmd.text != "reload shop" {
		t.Fatalf("sh + tab: %q, want the shared prefix %q", m.cmd.text, "reload shop")
	}
	press(m, "tab")
	first := m.cmd.text
	press(m, "tab")
	if first == m.cmd.text || !strings.HasPrefix(first, "reload shop") || !strings.HasPrefix(m.cmd.text, "reload shop") {
		t.Fatalf("tab after the shared prefix: %q then %q, want it to step through shopcert and shop", first, m.cmd.text)
	}
	press(m, "esc")
	// :publish completes only the bundles it can publish (a source: set).
	typeLine(m, "publish ")
	press(m, "tab")
	if m.cmd.text != "publish shopcert " {
		t.Fatalf(":publish + tab: %q, want the one bundle with a source", m.cmd.text)
	}
	press(m, "esc")
	typeLine(m, "theme l")
	press(m, "tab")
	if m.cmd.text != "theme light " {
		t.Fatalf(":theme l + tab: %q", m.cmd.text)
	}
}

// TestUnknownCommandSaysSoAndListsTheCommands: the error stays until esc.
func TestUnknownCommandSaysSoAndListsTheCommands(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	typeLine(m, "frobnicate now")
	press(m, "enter")
	m.Update(tickMsg(fixedNow.Add(time.Hour)))
	f := lastLine(screen(m))
	for _, want := range []string{"unknown command :frobnicate", ":reload", ":publish", ":rollback", ":filter", ":theme", ":q", "esc dismisses"} {
		if !strings.Contains(f, want) {
			t.Errorf("footer %q does not say %q", f, want)
		}
	}
	press(m, "esc")
	if m.flash != "" {
		t.Fatalf("esc did not dismiss the error: %q", m.flash)
	}
}

// TestCommandHistoryWalksWithUpAndDown.
func TestCommandHistoryWalksWithUpAndDown(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	typeLine(m, "filter web")
	press(m, "enter")
	typeLine(m, "filter api")
	press(m, "enter")
	typeLine(m, "fil")
	steps := []struct{ key, want string }{{"up", "filter api"}, {"up", "filter web"}, {"up", "filter web"}, {"down", "filter api"}, {"down", "fil"}}
	for _, s := range steps {
		press(m, s.key)
		if m.cmd.text != s.want {
			t.Fatalf("%s: %q, want %q", s.key, m.cmd.text, s.want)
		}
	}
	press(m, "up", "enter")
	if m.filterText != "filter api"[len("filter "):] {
		t.Fatalf("a line from the history ran as filter %q", m.filterText)
	}
}

// TestFilterCommandFiltersLikeSlash, and with no words clears.
func TestFilterCommandFiltersLikeSlash(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	typeLine(m, "filter web")
	press(m, "enter")
	if l := strings.Split(screen(m), "\n")[1]; !strings.Contains(l, "filter: web (") {
		t.Fatalf(":filter web: header %q", l)
	}
	typeLine(m, "filter")
	press(m, "enter")
	if l := strings.Split(screen(m), "\n")[1]; strings.Contains(l, "filter:") {
		t.Fatalf(":filter alone did not clear the filter: %q", l)
	}
}

// TestThemeCommandSwitchesTheTheme: a built-in at once; an unknown name
// is looked up in a Cmd and its error stays on screen.
func TestThemeCommandSwitchesTheTheme(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	typeLine(m, "theme light")
	if cmd := press(m, "enter"); cmd != nil {
		t.Fatal("a built-in theme needs no command")
	}
	if got := m.ctx.Styles.Theme.Name; got != "light" {
		t.Fatalf(":theme light: theme %q", got)
	}
	m.Update(tea.BackgroundColorMsg{}) // a late reply must not undo the choice
	if got := m.ctx.Styles.Theme.Name; got != "light" {
		t.Fatalf("the terminal's background reply replaced the chosen theme with %q", got)
	}
	m.opts.ThemeDir = t.TempDir()
	typeLine(m, "theme nosuch")
	cmd := press(m, "enter")
	if cmd == nil {
		t.Fatal(":theme of a user theme returned no command (the file is read in a Cmd)")
	}
	m.Update(cmd())
	if !m.flashErr || !strings.Contains(m.flash, `unknown theme "nosuch"`) {
		t.Fatalf(":theme nosuch: flash %q (error %v)", m.flash, m.flashErr)
	}
}

// TestQuitCommandQuits: :q and :quit.
func TestQuitCommandQuits(t *testing.T) {
	for _, line := range []string{"q", "quit"} {
		m, _ := newTestModel(t, 120, 40, false)
		typeLine(m, line)
		if !isQuit(t, press(m, "enter")) {
			t.Fatalf(":%s did not quit", line)
		}
	}
}

// TestPublishAndRollbackCommandsUseTheDialog: :publish app opens the same
// (y/N) dialog as p; :rollback app v0001 rolls back to that version.
func TestPublishAndRollbackCommandsUseTheDialog(t *testing.T) {
	m, dir := storeConsole(t, false)
	typeLine(m, "publish app")
	deliver(t, m, press(m, "enter"))
	if m.mode != modeConfirm || !strings.Contains(screen(m), "v0001 → v0002") {
		t.Fatalf(":publish app: no dialog (flash %q):\n%s", m.flash, screen(m))
	}
	deliver(t, m, press(m, "y"))
	if got := current(t, dir); got != "v0002" {
		t.Fatalf("after :publish app and y, current %s", got)
	}
	typeLine(m, "rollback app v0001")
	deliver(t, m, press(m, "enter"))
	if m.mode != modeConfirm || !strings.Contains(screen(m), "Roll back app to v0001") {
		t.Fatalf(":rollback app v0001: no dialog (flash %q):\n%s", m.flash, screen(m))
	}
	deliver(t, m, press(m, "y"))
	if got := current(t, dir); got != "v0001" {
		t.Fatalf("after :rollback app v0001 and y, current %s", got)
	}
	typeLine(m, "publish nosuch")
	press(m, "enter")
	if !m.flashErr || !strings.Contains(m.flash, "no bundle of that name (bundles: app)") {
		t.Fatalf(":publish nosuch: flash %q", m.flash)
	}
}

// TestReadOnlyRefusesMutatingCommands: in read-only mode :publish,
// :rollback and :reload say they are disabled and do nothing; the
// others still work, and the list of commands leaves them out.
func TestReadOnlyRefusesMutatingCommands(t *testing.T) {
	m, dir := storeConsole(t, true)
	for _, line := range []string{"publish app", "rollback app", "reload app"} {
		typeLine(m, line)
		if cmd := press(m, "enter"); cmd != nil {
			t.Fatalf(":%s in read-only mode returned a command", line)
		}
		name := strings.Fields(line)[0]
		if m.mode != modeNormal || !strings.Contains(m.flash, "read-only console: :"+name) || !strings.Contains(m.flash, "disabled") {
			t.Fatalf(":%s in read-only mode: mode %v, flash %q", line, m.mode, m.flash)
		}
	}
	if got := current(t, dir); got != "v0001" {
		t.Fatalf("read-only commands changed current to %s", got)
	}
	typeLine(m, "nosuch")
	press(m, "enter")
	if strings.Contains(m.flash, ":publish") || !strings.Contains(m.flash, ":filter") {
		t.Fatalf("read-only command list %q", m.flash)
	}
	typeLine(m, "filter app")
	press(m, "enter")
	if m.filterText != "app" {
		t.Fatalf(":filter in read-only mode: filter %q", m.filterText)
	}
}

// TestReadOnlyCompletionOffersOnlyWhatItAllows: in read-only mode the
// prompt's list and tab offer no :reload, :publish, :rollback or
// :rotate-tickets (they would only be refused), and complete no names
// for them; what read-only allows is still offered.
func TestReadOnlyCompletionOffersOnlyWhatItAllows(t *testing.T) {
	fx := newTicketFixture(t, true) // ticket_keys configured: :rotate-tickets exists
	m := fx.console(160, 40, true)
	press(m, ":")
	hints := lastLine(screen(m))
	for _, cmd := range []string{"reload", "publish", "rollback", "rotate-tickets"} {
		if strings.Contains(hints, cmd) {
			t.Errorf("read-only prompt offers %s: %q", cmd, hints)
		}
	}
	if !strings.Contains(hints, "cancel · filter · theme · q") {
		t.Errorf("read-only prompt does not offer what it allows: %q", hints)
	}
	for _, typed := range []string{"r", "p", "rotate-tickets ", "reload "} {
		press(m, "esc")
		typeLine(m, typed)
		press(m, "tab")
		if m.cmd.text != typed {
			t.Errorf("read-only :%s + tab completed to %q", typed, m.cmd.text)
		}
	}
	press(m, "esc")
	typeLine(m, "fil")
	press(m, "tab")
	if m.cmd.text != "filter " {
		t.Errorf("read-only :fil + tab: %q, want %q", m.cmd.text, "filter ")
	}
}

// TestTabMovesOnFromACompletedPrefixThatIsAName: :reload a<tab> stops
// at app, which is a bundle beside the endpoints app1 and app2; the
// next tab shows app1 (it showed app again, so it took an extra tab to
// get past it), then app2, then app again.
func TestTabMovesOnFromACompletedPrefixThatIsAName(t *testing.T) {
	fx := newFixFixture(t, false)
	m := fx.console(120, 40, false)
	typeLine(m, "reload a")
	var got []string
	for range 4 {
		press(m, "tab")
		got = append(got, m.cmd.text)
	}
	want := []string{"reload app", "reload app1", "reload app2", "reload app"}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Fatalf("tabs after :reload a: %q, want %q", got, want)
	}
}
