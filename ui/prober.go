package ui

import "time"

// Prober is what the console needs from the probe scheduler: re-probe on
// demand and say when the next round is due. *probe.Scheduler satisfies
// it; tests pass a fake.
type Prober interface {
	// Trigger asks for an immediate probe; no names means all. It must
	// not block (the console calls it from a Cmd anyway).
	Trigger(names ...string)
	// NextRound is when the next periodic round starts (zero: unknown).
	NextRound() time.Time
}

// Rescanner re-reads bundles on disk now; *probe.Watcher satisfies it.
type Rescanner interface {
	Rescan(names ...string)
}
