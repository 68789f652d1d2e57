package ui

import (
	"time"

	"certdeck/model"

	tea "charm.land/bubbletea/v2"
)

// recheckBundle re-reads a bundle and, after delay, probes the endpoints
// it serves, so drift shows which of them still serve the old
// certificate. The delay gives hot-reloading servers (rotate.Reloader
// follows `current` with fsnotify) time to swap before the probe asks.
// Both calls never block, but they run in a Cmd: Update calls nothing
// outside the model.
func (m *Model) recheckBundle(b model.Bundle, delay time.Duration) tea.Cmd {
	rescan, prober := m.opts.Bundles, m.opts.Prober
	serves := b.Serves
	reread := func() tea.Msg {
		if rescan != nil {
			rescan.Rescan(b.Name)
		}
		return nil
	}
	reprobe := func() tea.Msg {
		if prober != nil && len(serves) > 0 {
			prober.Trigger(serves...)
		}
		return nil
	}
	if delay <= 0 {
		return tea.Batch(reread, reprobe)
	}
	return tea.Batch(reread, tea.Tick(delay, func(time.Time) tea.Msg { return reprobe() }))
}
