package ui

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// newProgramModel is the console fed through its real relay from ch.
func newProgramModel(t *testing.T, ch chan model.Event) *Model {
	t.Helper()
	theme, _ := themes.Builtin(themes.ANSI)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return New(Options{Fleet: testFleet(t), Events: ch, Done: done, Prober: &fakeProber{},
		Theme: theme, ThemeDecided: true, Clock: func() time.Time { return fixedNow }})
}

func startProgram(t *testing.T, m *Model, w, h int) *teatest.TestModel {
	t.Helper()
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
}

func waitFor(t *testing.T, tm *teatest.TestModel, what ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range what {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// TestProbeEventsReachScreenThroughRelay runs the real program: events
// written to the channel appear as rows, help opens, q exits.
func TestProbeEventsReachScreenThroughRelay(t *testing.T) {
	ch := make(chan model.Event, 64)
	tm := startProgram(t, newProgramModel(t, ch), 120, 40)
	for _, ev := range testEvents() {
		ch <- ev
	}
	waitFor(t, tm, "CRIT", "WARN", "billing")
	tm.Type("?")
	waitFor(t, tm, "re-probe all")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if final.state.Endpoint("billing").Verdict.Status != model.Crit {
		t.Fatal("final state did not apply the events")
	}
}

// TestFilterFlowEndToEnd types a filter and clears it with esc.
func TestFilterFlowEndToEnd(t *testing.T) {
	ch := make(chan model.Event, 64)
	tm := startProgram(t, newProgramModel(t, ch), 100, 30)
	for _, ev := range testEvents() {
		ch <- ev
	}
	waitFor(t, tm, "billing")
	tm.Type("/mail")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitFor(t, tm, "filter:")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if final.filterText != "" || len(rowNames(final)) != 11 {
		t.Fatalf("after esc: filter %q, %d rows", final.filterText, len(rowNames(final)))
	}
}

// countingWriter counts bytes written to the terminal.
type countingWriter struct {
	mu sync.Mutex
	n  int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n += len(p)
	c.mu.Unlock()
	return len(p), nil
}

func (c *countingWriter) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = 0
	return n
}

// TestOneRowChangeWritesLittle measures the bytes sent to the terminal
// when one endpoint's row changes (a renewal: new serial, new expiry), on
// a 200x50 screen in 256 colours. The goal is at most 1 KiB: the console
// must stay usable over slow SSH links.
func TestOneRowChangeWritesLittle(t *testing.T) {
	theme, _ := themes.Builtin(themes.Dark)
	m := New(Options{Fleet: testFleet(t), Theme: theme, ThemeDecided: true, Clock: func() time.Time { return fixedNow }})
	out := &countingWriter{}
	p := tea.NewProgram(m, tea.WithOutput(out), tea.WithInput(blockingReader{}), tea.WithWindowSize(200, 50),
		tea.WithColorProfile(colorprofile.ANSI256), tea.WithoutSignals())
	done := make(chan struct{})
	go func() {
		if _, err := p.Run(); err != nil {
			t.Errorf("program: %v", err)
		}
		close(done)
	}()
	defer func() { p.Quit(); <-done }()

	// Nothing in flight: the spinner would redraw on its own.
	var round []model.Event
	for _, ev := range testEvents() {
		if _, started := ev.(model.ProbeStarted); !started {
			round = append(round, ev)
		}
	}
	p.Send(eventsMsg{events: round})
	settle := func() int {
		// The renderer flushes at its frame rate: wait for output to start,
		// then for 200 ms of quiet, so the count covers the whole change.
		total, quiet := 0, 0
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
			n := out.take()
			total += n
			switch {
			case n > 0:
				quiet = 0
			case total > 0:
				quiet++
			}
			if quiet >= 4 {
				break
			}
		}
		return total
	}
	first := settle()
	renewed := obs("www", cert("www.example.com", "abcdef0123456789abcdef0123456789", 89*24*time.Hour))
	p.Send(eventsMsg{events: []model.Event{renewed}})
	changed := settle()
	t.Logf("first frame: %d bytes; one row changed: %d bytes", first, changed)
	if changed == 0 {
		t.Fatal("no bytes written for a changed row: the measurement is broken")
	}
	if changed > 1024 {
		t.Errorf("one row change wrote %d bytes, goal is at most 1024", changed)
	}
}

// blockingReader is a terminal input that never types anything.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }

var _ io.Reader = blockingReader{}

// TestDiskChangeReachesScreenWithoutKeyPress runs the real program with
// the real bundle watcher on its channel: a publish on disk shows the new
// serial on the Bundles tab with no key pressed after it.
func TestDiskChangeReachesScreenWithoutKeyPress(t *testing.T) {
	fx := newStoreFixture(t)
	ch := make(chan model.Event, 64)
	w, err := probe.NewWatcher(fx.fleet.Bundles, ch, probe.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped })

	theme, _ := themes.Builtin(themes.ANSI)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	m := New(Options{Fleet: fx.fleet, Events: ch, Done: done, Theme: theme, ThemeDecided: true})
	tm := startProgram(t, m, 120, 40)
	// "matches" (the KEY column) appears once the watcher's first read
	// has reached the screen.
	waitFor(t, tm, "Bundles", "matches")
	tm.Type("l") // the event log, where the change is reported

	next := pki.Must(fx.ca.Issue(pki.Options{DNSNames: []string{"app.test"}}))
	res, err := fx.store.Publish(t.Context(), "app", rotate.Inputs{Fullchain: next.FullchainPEM(), Key: next.KeyPEM()})
	if err != nil {
		t.Fatal(err)
	}
	// The renderer writes only changed cells, so a serial that shares
	// characters with the old one never appears whole in the output; the
	// event log line is new text (with the whole serial).
	waitFor(t, tm, "serial "+res.New.Serial+" on disk")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if got := final.state.Bundle("app").Serial(); got != res.New.Serial {
		t.Fatalf("bundle serial %s after the publish, want %s", got, res.New.Serial)
	}
}

// TestMarksAndCommandLineEndToEnd runs the real program: space marks two
// rows, `:` runs a filter typed with a q in it (text, not quit), and :q
// quits.
func TestMarksAndCommandLineEndToEnd(t *testing.T) {
	ch := make(chan model.Event, 64)
	tm := startProgram(t, newProgramModel(t, ch), 120, 40)
	for _, ev := range testEvents() {
		ch <- ev
	}
	waitFor(t, tm, "billing")
	tm.Send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	tm.Send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	waitFor(t, tm, "2 marked")
	// The renderer sends only changed cells, so the prompt's text never
	// needs to appear whole: the keys are queued in order anyway.
	tm.Type(":filter q")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitFor(t, tm, "no endpoint matches the filter")
	tm.Type(":q")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if final.filterText != "q" || final.section().Summary().marked != 2 {
		t.Fatalf("final: filter %q, %d marked; want filter q and 2 marked", final.filterText, final.section().Summary().marked)
	}
}

// TestFixEndToEnd runs the real program over the action engine: x on
// the marked endpoints, y; the rows show the verification while it is
// held, and the outcome lands as a flash.
func TestFixEndToEnd(t *testing.T) {
	fx := newFixFixture(t, false)
	theme, _ := themes.Builtin(themes.ANSI)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	release := fx.served.hold("app2")
	defer release()
	m := New(Options{Fleet: fx.fleet, Engine: fx.engine, Done: done, Prober: &fakeProber{},
		Theme: theme, ThemeDecided: true, Clock: func() time.Time { return fixedNow }})
	tm := startProgram(t, m, 120, 40)
	tm.Send(eventsMsg{events: fx.observations()})
	waitFor(t, tm, "app2")
	tm.Send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	tm.Send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	tm.Type("x")
	waitFor(t, tm, "Reload (y)")
	tm.Type("y")
	// Only text that first appears whole can be awaited in the byte
	// stream: the renderer rewrites "verifying 0/2" as one changed cell,
	// so the rows' progress is asserted on screens, in
	// TestFixReloadsShowsProgressAndTheRowsTurnOK.
	waitFor(t, tm, "▶ reload")
	release()
	waitFor(t, tm, "verified: 2/2")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if len(final.ctx.Actions.running) != 0 || fx.reloads() != 1 {
		t.Fatalf("after the outcome: %d actions shown running, %d reloads", len(final.ctx.Actions.running), fx.reloads())
	}
}
