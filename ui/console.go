package ui

import (
	"context"
	"fmt"
	"sync"

	"certdeck/model"
	"certdeck/probe"

	tea "charm.land/bubbletea/v2"
)

// Run probes fleet in the background and runs the console until the user
// quits; it returns after every probe and watcher goroutine has stopped,
// with the terminal restored. When the user quit while actions ran (they
// were cancelled, and their outcomes awaited), the error is a
// *QuitReport saying what each left, for the caller to print and to map
// to an exit status.
func Run(parent context.Context, fleet *model.Fleet, opts Options, progOpts ...tea.ProgramOption) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	// The buffer absorbs a round's burst while the relay sleeps in its
	// batch window; the scheduler blocks (never drops) when it is full.
	events := make(chan model.Event, 1024)
	// in is where the probe engine writes. With a ticket history, one
	// goroutine records each observation's key name (file I/O, never in
	// Update) on its way to the relay.
	in := events
	if opts.TicketHistory != nil {
		in = make(chan model.Event, 1024)
	}
	// The first round is the check pipeline, the same code as `certdeck
	// check`, streamed into the relay; the scheduler takes over one
	// interval later (and serves re-probes meanwhile).
	sched, err := probe.NewScheduler(fleet, probe.Options{Events: in, Delay: fleet.Interval})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	// The bundle watcher shares the channel: disk changes and probe
	// results reach the state through the same relay, in one order.
	watcher, err := probe.NewWatcher(fleet.Bundles, in, probe.WatchOptions{})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	// Session-ticket key dirs, on the same channel.
	keyDirs, err := probe.NewTicketDirWatcher(fleet.TicketKeys, in, probe.TicketDirWatchOptions{})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		// Through the scheduler: its prober, limits and backoff count see
		// the first round too. The watchers read bundles and key dirs.
		sched.Check(ctx, probe.CheckOptions{Events: in, SkipBundles: true, SkipTicketDirs: true})
	}()
	go func() {
		defer wg.Done()
		keyDirs.Run(ctx)
	}()
	if opts.TicketHistory != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recordTickets(ctx, in, events, opts.TicketHistory)
		}()
	}
	go func() {
		defer wg.Done()
		sched.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		watcher.Run(ctx)
	}()
	opts.Fleet, opts.Events, opts.Done, opts.Prober, opts.Bundles = fleet, events, ctx.Done(), sched, watcher
	progOpts = append([]tea.ProgramOption{tea.WithContext(ctx)}, progOpts...)
	final, err := tea.NewProgram(New(opts), progOpts...).Run()
	cancel()
	wg.Wait()
	if m, ok := final.(*Model); ok {
		if r := m.QuitReport(); r != nil {
			return r
		}
	}
	// A cancelled parent (a signal) is a normal way out, not an error.
	if err != nil && parent.Err() == nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

// recordTickets passes every event from in to out, noting the key names
// of observations in the ticket history first, until ctx ends.
func recordTickets(ctx context.Context, in <-chan model.Event, out chan<- model.Event, h *probe.TicketHistoryFile) {
	for {
		select {
		case ev := <-in:
			if o, ok := ev.(*model.Observation); ok {
				_ = h.Record(o) // a failure is kept in h.Err; the console goes on
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}
