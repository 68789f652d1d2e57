package probe

import (
	"context"
	"sync"
	"sync/atomic"

	"certdeck/model"
)

// RoundOptions tune a one-shot round.
type RoundOptions struct {
	// Probe applies to every endpoint; its Timeout defaults to the fleet's.
	Probe ProbeOptions
	// Events, when set, also receives ProbeStarted and each observation as
	// it completes (for progress display). Sends block until read or until
	// ctx is done; the returned slice is complete either way.
	Events chan<- model.Event
}

// Round probes every endpoint of f once, at most f.Concurrency at a time,
// and returns the observations in fleet order (one per endpoint, never
// nil). It returns when every probe has finished; cancelling ctx makes the
// remaining probes fail fast.
func Round(ctx context.Context, f *model.Fleet, opt RoundOptions) []*model.Observation {
	popt := opt.Probe
	if popt.Timeout == 0 {
		popt.Timeout = f.Timeout
	}
	return fleetProber(f, popt).round(ctx, f, opt.Events)
}

// fleetProber is a prober for f's endpoints, with f's rate and per-IP
// limits.
func fleetProber(f *model.Fleet, opt ProbeOptions) *prober {
	p := newProber(opt, nil)
	if f.RateLimit > 0 || f.PerIPConcurrency > 0 {
		p.admit = newAdmission(f.RateLimit, f.PerIPConcurrency)
	}
	return p
}

// round is Round with this prober (its caches, memories and limits).
func (p *prober) round(ctx context.Context, f *model.Fleet, events chan<- model.Event) []*model.Observation {
	popt := p.opt
	out := make([]*model.Observation, len(f.Endpoints))
	workers := min(max(f.Concurrency, 1), len(f.Endpoints))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(out) {
					return
				}
				ep := f.Endpoints[i]
				sendEvent(ctx, events, model.ProbeStarted{Endpoint: ep.Name, Time: popt.now()})
				out[i] = p.probe(ctx, ep)
				sendEvent(ctx, events, out[i])
			}
		})
	}
	wg.Wait()
	return out
}

// sendEvent delivers ev unless events is nil or ctx is done first.
func sendEvent(ctx context.Context, events chan<- model.Event, ev model.Event) {
	if events == nil {
		return
	}
	select {
	case events <- ev:
	case <-ctx.Done():
	}
}
