package ui

import (
	"sync"

	tea "charm.land/bubbletea/v2"
)

// progressRelay carries action progress into the program. The engine
// reports from its own goroutines; report never blocks it (a slow screen
// must not slow a verification), and nothing is lost that matters: the
// relay keeps the latest report per action and target, and a Cmd that
// waits for the next report delivers what has gathered as one message.
// This is the events relay's pattern (never Program.Send from Update).
type progressRelay struct {
	mu      sync.Mutex
	pending []actionProgress
	at      map[progressKey]int // index into pending
	wake    chan struct{}       // one buffered token: something is pending
}

type progressKey struct {
	id     int
	target string
}

// progressMsg is the reports gathered since the last one.
type progressMsg struct{ reports []actionProgress }

func newProgressRelay() *progressRelay {
	return &progressRelay{at: map[progressKey]int{}, wake: make(chan struct{}, 1)}
}

// report is the engine's progress callback; safe from any goroutine.
func (r *progressRelay) report(p actionProgress) {
	r.mu.Lock()
	k := progressKey{p.ID, p.Target}
	if i, ok := r.at[k]; ok {
		r.pending[i] = p
	} else {
		r.at[k] = len(r.pending)
		r.pending = append(r.pending, p)
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// wait is the Cmd that delivers the next gathered reports; Update issues
// it again after each. It returns nil when the program is exiting.
func (r *progressRelay) wait(done <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-r.wake:
		case <-done:
			return nil
		}
		r.mu.Lock()
		out := r.pending
		r.pending = nil
		clear(r.at)
		r.mu.Unlock()
		return progressMsg{reports: out}
	}
}

// waitProgress is the relay's next wait, while an engine is attached.
func (m *Model) waitProgress() tea.Cmd {
	if m.progress == nil {
		return nil
	}
	return m.progress.wait(m.opts.Done)
}
