package probe

import (
	"context"
	"time"

	"certdeck/model"
)

// CheckOptions tune Check.
type CheckOptions struct {
	// Probe applies to every endpoint (timeout, clock, roots); its
	// Timeout defaults to the fleet's and its Clock to time.Now.
	Probe ProbeOptions
	// Events, when set, also receives every event as it happens:
	// ProbeStarted and each observation, then each bundle read. Sends
	// block until read or until ctx is done.
	Events chan<- model.Event
	// SkipBundles leaves bundle reads to someone else: the console's
	// watcher reads every bundle when it starts.
	SkipBundles bool
	// SkipTicketDirs leaves key-dir reads to someone else (the console's
	// TicketDirWatcher).
	SkipTicketDirs bool
	// TicketHistory, when set, gives endpoints the key names seen by
	// earlier runs and records this round's (tickethistory.go).
	TicketHistory *TicketHistoryFile
}

// Check is certdeck's check pipeline, the one place `certdeck check`, the
// console's first round and the metrics output get their answer from: one
// probe round over every endpoint of fleet, one read of every bundle, then
// drift (bundles after observations, so drift compares against what is
// served) and status at one instant. It returns the state, classified at
// now, and now. Cancelling ctx makes the remaining probes fail fast; the
// state is complete either way.
func Check(ctx context.Context, fleet *model.Fleet, opt CheckOptions) (state *model.State, now time.Time) {
	popt := opt.Probe
	if popt.Timeout == 0 {
		popt.Timeout = fleet.Timeout
	}
	return check(ctx, fleet, fleetProber(fleet, popt), opt)
}

// check is Check with a given prober (Scheduler.Check passes its own).
func check(ctx context.Context, fleet *model.Fleet, p *prober, opt CheckOptions) (state *model.State, now time.Time) {
	if opt.TicketHistory != nil {
		p.history.Store(opt.TicketHistory) // the names earlier runs confirmed
	}
	obs := p.round(ctx, fleet, opt.Events)
	now = p.opt.now()
	state = model.NewState(fleet)
	if opt.TicketHistory != nil {
		state.SeedTicketHistory(opt.TicketHistory.Sightings())
	}
	events := make([]model.Event, len(obs))
	for i, o := range obs {
		events[i] = o
	}
	if opt.TicketHistory != nil {
		_ = opt.TicketHistory.RecordAll(obs) // its Err is reported by the caller
	}
	state.Apply(now, events)
	if !opt.SkipBundles {
		bundles := BundleEvents(fleet.Bundles, now)
		for _, ev := range bundles {
			sendEvent(ctx, opt.Events, ev)
		}
		state.Apply(now, bundles)
	}
	if !opt.SkipTicketDirs && len(fleet.TicketKeys) > 0 {
		dirs := TicketDirEvents(fleet.TicketKeys, now)
		for _, ev := range dirs {
			sendEvent(ctx, opt.Events, ev)
		}
		state.Apply(now, dirs)
	}
	return state, now
}
