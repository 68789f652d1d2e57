package ui

import (
	"time"

	"certdeck/model"

	tea "charm.land/bubbletea/v2"
)

// batchWindow is how long the relay keeps collecting after the first
// event: a probe round of hundreds of endpoints arrives as a few batches
// and a few frames, not one frame per endpoint.
const batchWindow = 50 * time.Millisecond

// maxBatch caps one batch so a flood cannot delay the screen unboundedly.
const maxBatch = 4096

// eventsMsg is one coalesced batch of probe events.
type eventsMsg struct{ events []model.Event }

// relayClosedMsg says the event channel closed (probes stopped).
type relayClosedMsg struct{}

// relay is the one path from the probe engine into the program: a Cmd
// that blocks on the channel (blocking is fine inside a Cmd, which runs
// on its own goroutine; never in Update), then drains for up to
// batchWindow and returns the batch. Update re-issues it after applying.
func relay(events <-chan model.Event, done <-chan struct{}) tea.Cmd {
	if events == nil {
		return nil
	}
	return func() tea.Msg {
		var first model.Event
		select {
		case ev, ok := <-events:
			if !ok {
				return relayClosedMsg{}
			}
			first = ev
		case <-done:
			return relayClosedMsg{}
		}
		batch := []model.Event{first}
		timer := time.NewTimer(batchWindow)
		defer timer.Stop()
		for len(batch) < maxBatch {
			select {
			case ev, ok := <-events:
				if !ok {
					return eventsMsg{events: batch}
				}
				batch = append(batch, ev)
			case <-timer.C:
				return eventsMsg{events: batch}
			case <-done:
				return eventsMsg{events: batch}
			}
		}
		return eventsMsg{events: batch}
	}
}
