package ui

import (
	"time"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
	"certdeck/themes"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Options configure the console.
type Options struct {
	Fleet *model.Fleet
	// Events is the probe engine's channel; the relay is its only reader.
	Events <-chan model.Event
	// Done stops the relay (the program is exiting).
	Done   <-chan struct{}
	Prober Prober // nil: r/R only flash a note
	// Bundles re-reads bundles on demand (after a publish); nil: none.
	Bundles Rescanner
	Theme   themes.Theme
	// ThemeDecided is false when no flag, NO_COLOR or config chose the
	// theme: the terminal's background reply may then pick light or dark.
	ThemeDecided bool
	ReadOnly     bool
	// ReadOnlyReason, when set, makes the console read-only for a reason
	// of its own (the config's reloads cannot be trusted), said once in
	// the event log and with every refusal.
	ReadOnlyReason string
	Clock          func() time.Time // nil: time.Now
	// Store is how publish and rollback open a bundle's store (retention,
	// audit log, clock, roots); the zero value means rotate's defaults.
	Store rotate.StoreOptions
	// Engine runs every action; nil: New builds one from the options
	// above, verifying through Prober when it is a rotate.Verifier.
	Engine *rotate.Engine
	// ThemeDir is where :theme finds user theme files ("": built-ins only).
	ThemeDir string
	// TicketHistory keeps the ticket key names seen per endpoint across
	// runs (nil: none); TicketHistoryNote, when set, says once in the
	// event log why there is none.
	TicketHistory     *probe.TicketHistoryFile
	TicketHistoryNote string
}

// mode routes key presses: one small handler per mode, so a key typed
// into the filter never triggers an action.
type mode int

const (
	modeNormal mode = iota
	modeFilter
	modeHelp
	modeDetail
	modeEvents
	modeConfirm // a "(y/N)" dialog for publish or rollback
	modeCommand // the `:` command line
)

// Minimum usable terminal.
const minWidth, minHeight = 60, 15

// Model is the root model: it owns layout and routing; sections and panes
// render themselves.
type Model struct {
	ctx   *Context
	opts  Options
	state *model.State

	sections []Section
	active   int

	mode mode
	// back is the mode help returns to (help opens from the detail pane
	// and the event log as well).
	back         mode
	filterText   string
	ring         *eventRing
	changedAt    map[string]time.Time
	detailScroll int
	eventScroll  int // lines up from the newest
	helpScroll   int // first line of the ? screen's content on screen

	flash      string
	flashUntil time.Time
	// flashErr marks an error flash: it stays until esc acknowledges it.
	flashErr bool
	// flashLogged says the flash is also in the event log, whole.
	flashLogged bool
	confirm     *confirmDialog
	// confirmScroll is the first plan line the dialog shows.
	confirmScroll int
	cmd           cmdLine
	// progress carries action progress into Update.
	progress *progressRelay
	// alarms wait for esc (alarm.go); alarmStyle is built with the theme.
	alarms     []string
	alarmStyle lipgloss.Style

	// launched are the actions started with y whose outcome has not
	// landed (launch.go); quitting is set once q's question was answered
	// y, and stop then cancels every plan and action (quit.go).
	launched   map[int]*launch
	nextLaunch int
	quitting   *quitState
	stop       chan struct{}
	// steps are each running action's step reports, stamped when read
	// (step_times.go), by actionKey.
	steps map[string][]stampedStep
	// heldDrift are drift lines about what an action in flight covers
	// (drift_hold.go).
	heldDrift map[driftKey]model.Change

	inFlight int
	spinner  spinner.Model
	spinning bool
	help     help.Model
}

// New builds the console over a fresh state of opts.Fleet.
func New(opts Options) *Model {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.ReadOnlyReason != "" {
		opts.ReadOnly = true
	}
	if opts.Engine == nil {
		opts.Engine = newEngine(opts)
	}
	keys := DefaultKeys()
	keys.SetReadOnly(opts.ReadOnly)
	m := &Model{
		opts:      opts,
		state:     model.NewState(opts.Fleet),
		ring:      newEventRing(eventRingSize),
		changedAt: map[string]time.Time{},
		spinner:   spinner.New(spinner.WithSpinner(spinner.Dot)),
		progress:  newProgressRelay(),
		help:      help.New(),
		launched:  map[int]*launch{},
		stop:      make(chan struct{}),
		steps:     map[string][]stampedStep{},
		heldDrift: map[driftKey]model.Change{},
	}
	if opts.TicketHistory != nil {
		// Key ages mean "seen since", across restarts (the history was
		// read when it was opened: no I/O here).
		m.state.SeedTicketHistory(opts.TicketHistory.Sightings())
	}
	if opts.ReadOnlyReason != "" {
		m.ring.Add(model.Change{Time: opts.Clock(), Kind: model.ChangeError, Message: "read-only console: " + opts.ReadOnlyReason})
	}
	if opts.TicketHistoryNote != "" {
		m.ring.Add(model.Change{Time: opts.Clock(), Kind: model.ChangeError, Message: "ticket key ages are not kept across runs: " + opts.TicketHistoryNote})
	}
	styles := themes.NewStyles(opts.Theme)
	m.ctx = &Context{
		Styles: styles, Paints: newPaints(styles), Keys: keys, ReadOnly: opts.ReadOnly, Now: opts.Clock,
		State: m.state, Events: m.ring, ChangedAt: m.changedAt, Actions: newActionBoard(),
	}
	m.help.Styles = styles.Help
	m.alarmStyle = alarmStyle(styles)
	// The tabs, in order: a new section is one more line here. A
	// constructor returns nil when it has nothing configured to show.
	for _, s := range []Section{
		newFleetSection(m.ctx, m),
		newBundlesSection(m.ctx, m),
		newTicketsSection(m.ctx, m),
	} {
		if s != nil {
			m.sections = append(m.sections, s)
		}
	}
	// Open on the first tab with rows: a bundles-only console starts on
	// its bundles, not on an empty fleet.
	for i, s := range m.sections {
		if s.Len() > 0 {
			m.active = i
			break
		}
	}
	m.refresh()
	return m
}

// State exposes the fleet state (read-only use: tests, benchmarks).
func (m *Model) State() *model.State { return m.state }

type tickMsg time.Time

// tickEvery refreshes "ago" labels and re-applies expiry rules.
const tickEvery = time.Second

func tick() tea.Cmd {
	return tea.Tick(tickEvery, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Init starts the relay and the clock, and asks the terminal for its
// background colour when no one chose a theme.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{relay(m.opts.Events, m.opts.Done), tick(), m.waitProgress()}
	if !m.opts.ThemeDecided {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// Update applies one message. It never blocks and never does I/O.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.Width, m.ctx.Height = msg.Width, msg.Height
		m.relayout()
		return m, nil
	case eventsMsg:
		return m, tea.Batch(m.applyBatch(msg.events), relay(m.opts.Events, m.opts.Done))
	case relayClosedMsg:
		return m, nil
	case tickMsg:
		m.stampSteps() // without a progress relay (tests), at least each second
		now := m.ctx.Now()
		m.state.Reclassify(now)
		m.refreshActions()
		m.refresh()
		if m.flash != "" && !m.flashErr && !now.Before(m.flashUntil) {
			m.flash = ""
		}
		return m, tick()
	case spinner.TickMsg:
		if m.inFlight == 0 {
			m.spinning = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case tea.BackgroundColorMsg:
		if !m.opts.ThemeDecided {
			m.setTheme(themes.ForBackground(msg.IsDark()))
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case planMsg:
		m.onPlan(msg)
		return m, nil
	case actionDoneMsg:
		m.takeStepsOf(actionKey(msg.action, msg.bundle.Name)) // its one line is its end
		m.progress.forget(actionKey(msg.action, msg.bundle.Name))
		m.refreshActions()
		return m, m.landed(msg.launch, msg.out, msg.err, m.onActionDone(msg))
	case themeMsg:
		m.onTheme(msg)
		return m, nil
	case progressMsg:
		m.stampSteps()
		m.refreshActions()
		return m, m.waitProgress()
	case fixPlannedMsg:
		m.onFixPlanned(msg)
		return m, nil
	case fixDoneMsg:
		return m, m.landed(msg.launch, msg.out, msg.err, m.onFixDone(msg))
	case quitTimeoutMsg:
		if m.quitting != nil {
			return m, tea.Quit
		}
		return m, nil
	}
	return m, nil
}

// applyBatch folds probe events into the state: the only place the
// console changes what it knows.
func (m *Model) applyBatch(events []model.Event) tea.Cmd {
	now := m.ctx.Now()
	for _, c := range m.state.Apply(now, events) {
		if m.holdDrift(c) {
			continue
		}
		m.ring.Add(c)
		if c.Kind == model.ChangeSerial {
			m.changedAt[c.Subject] = now
		}
	}
	m.countInFlight()
	m.refresh()
	if m.inFlight > 0 && !m.spinning {
		m.spinning = true
		return m.spinner.Tick
	}
	return nil
}

// countInFlight keeps the in-flight count in Update, so View never scans
// the fleet; the recount is cheap next to the sort that follows.
func (m *Model) countInFlight() {
	n := 0
	for _, es := range m.state.Endpoints() {
		if es.InFlight {
			n++
		}
	}
	m.inFlight = n
}

func (m *Model) refresh() {
	for _, s := range m.sections {
		s.Refresh()
	}
}

func (m *Model) setTheme(t themes.Theme) {
	m.ctx.Styles = themes.NewStyles(t)
	m.ctx.Paints = newPaints(m.ctx.Styles)
	m.help.Styles = m.ctx.Styles.Help
	m.alarmStyle = alarmStyle(m.ctx.Styles)
}

// alarmStyle is CRIT reversed and bold: louder than any error line.
func alarmStyle(st *themes.Styles) lipgloss.Style { return st.Crit.Reverse(true).Bold(true) }

// setFlash shows an info line that clears by itself.
func (m *Model) setFlash(s string) {
	m.flash, m.flashErr, m.flashLogged = s, false, false
	m.flashUntil = m.ctx.Now().Add(4 * time.Second)
}

// setError shows an error line that stays until esc acknowledges it: a
// refused publish must not vanish while the operator looks away. It is
// also written whole to the event log (DESIGN: errors go to the event
// pane): the footer is one line, and a refusal's fix is often at its end.
func (m *Model) setError(s string) { m.setErrorFor("", s) }

// setErrorFor is setError with the bundle, endpoint or action the error
// is about, as the event log's subject.
func (m *Model) setErrorFor(subject, s string) {
	m.flash, m.flashErr = s, true
	m.logFlash(subject, model.ChangeError, s)
}

// logFlash writes the flash's text to the event log, unless the newest
// entry already says it (an action's outcome logs its result line, then
// shows it as the flash), and marks the flash as logged: cut at the
// terminal's width, it then says where the rest is.
func (m *Model) logFlash(subject string, kind model.ChangeKind, s string) {
	m.flashLogged = true
	if n := m.ring.Len(); n > 0 && clean(m.ring.At(n-1).Message) == clean(s) {
		return
	}
	m.ring.Add(model.Change{Time: m.ctx.Now(), Subject: subject, Kind: kind, Message: s})
}

// tooSmall is true when the terminal cannot show the console.
func (m *Model) tooSmall() bool {
	return m.ctx.Width < minWidth || m.ctx.Height < minHeight
}

// active is the section on screen.
func (m *Model) section() Section { return m.sections[m.active] }

// selectedBundle is the bundle under the active section's cursor, or nil:
// publish and rollback act on it. The root asks the section for its
// selection and keeps what is a bundle; it knows no section by type.
func (m *Model) selectedBundle() *model.BundleState {
	bs, _ := m.section().Selection().(*model.BundleState)
	return bs
}
