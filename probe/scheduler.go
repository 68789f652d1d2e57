package probe

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"certdeck/model"
)

// Options configure a Scheduler.
type Options struct {
	// Events receives a model.ProbeStarted when a probe begins and the
	// *model.Observation when it ends. Required. It is shared with the
	// bundle watcher; sends block until read or until Run's ctx is done,
	// so a slow reader slows probing rather than losing results.
	Events chan<- model.Event
	// Clock stamps observations and NextRound. Nil means time.Now.
	Clock func() time.Time
	// Jitter spreads rounds by up to ±Jitter×interval so many certdecks
	// (or many fleets) do not probe in lockstep. Zero means 0.1; negative
	// means none.
	Jitter float64
	// Probe tunes every probe; its Timeout defaults to the fleet's.
	Probe ProbeOptions
	// Delay postpones the first periodic round (zero: at once); Trigger
	// is served meanwhile. The console runs its first round through Check
	// and lets the scheduler take over an interval later.
	Delay time.Duration
}

// Scheduler probes a fleet periodically with a bounded worker pool.
type Scheduler struct {
	fleet  *model.Fleet
	opt    Options
	prober *prober
	q      *queue
	names  map[string]model.Endpoint
	all    []string
	next   atomic.Int64 // NextRound as Unix nanoseconds; 0 before Run
	once   sync.Once
	served servedWaiters // verification probes waiting (served.go)
}

// NewScheduler checks the options and prepares a scheduler for f. Nothing
// runs until Run.
func NewScheduler(f *model.Fleet, opt Options) (*Scheduler, error) {
	if opt.Events == nil {
		return nil, errors.New("probe scheduler: Options.Events is required")
	}
	if f.Interval <= 0 {
		return nil, errors.New("probe scheduler: fleet interval must be positive")
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.Jitter == 0 {
		opt.Jitter = 0.1
	}
	popt := opt.Probe
	if popt.Timeout == 0 {
		popt.Timeout = f.Timeout
	}
	if popt.Clock == nil {
		popt.Clock = opt.Clock
	}
	s := &Scheduler{fleet: f, opt: opt, prober: newProber(popt, nil), q: newQueue(), names: map[string]model.Endpoint{}}
	for _, ep := range f.Endpoints {
		s.names[ep.Name] = ep
		s.all = append(s.all, ep.Name)
	}
	return s, nil
}

// Run probes every endpoint at once, then again every interval (± jitter),
// plus whatever Trigger asks for, until ctx is done. It returns only after
// every goroutine it started has exited. A Scheduler runs once.
func (s *Scheduler) Run(ctx context.Context) {
	ran := false
	s.once.Do(func() { ran = true })
	if !ran {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for range max(s.fleet.Concurrency, 1) {
		wg.Go(func() { s.work(ctx) })
	}

	timer := time.NewTimer(s.opt.Delay)
	defer timer.Stop()
	if s.opt.Delay > 0 {
		s.next.Store(s.opt.Clock().Add(s.opt.Delay).UnixNano())
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			s.q.add(false, s.all...)
			d := s.nextInterval()
			s.next.Store(s.opt.Clock().Add(d).UnixNano())
			timer.Reset(d)
		}
	}
}

// Trigger queues an immediate probe of the named endpoints (all of them
// when none is named); unknown names are ignored. An endpoint already
// being probed is probed again afterwards, so a trigger after a reload
// always yields a probe that started after the trigger. Never blocks.
func (s *Scheduler) Trigger(names ...string) {
	if len(names) == 0 {
		s.q.add(true, s.all...)
		return
	}
	known := names[:0:0]
	for _, n := range names {
		if _, ok := s.names[n]; ok {
			known = append(known, n)
		}
	}
	s.q.add(true, known...)
}

// NextRound is when the next periodic round starts (zero before Run).
// Safe for concurrent use.
func (s *Scheduler) NextRound() time.Time {
	n := s.next.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func (s *Scheduler) nextInterval() time.Duration {
	iv := s.fleet.Interval
	if s.opt.Jitter <= 0 {
		return iv
	}
	spread := (rand.Float64()*2 - 1) * s.opt.Jitter * float64(iv)
	return max(iv+time.Duration(spread), iv/2)
}

// work is one pool worker: take a name, probe it, report it.
func (s *Scheduler) work(ctx context.Context) {
	for {
		name, ok := s.q.take(ctx)
		if !ok {
			return
		}
		if !s.emit(ctx, model.ProbeStarted{Endpoint: name, Time: s.opt.Clock()}) {
			return
		}
		n := s.served.start(name)
		o := s.prober.probe(ctx, s.names[name])
		s.q.done(name)
		s.served.finish(name, n, o)
		if ctx.Err() != nil {
			return // a probe cut short by shutdown is not a finding
		}
		if !s.emit(ctx, o) {
			return
		}
	}
}

func (s *Scheduler) emit(ctx context.Context, ev model.Event) bool {
	select {
	case s.opt.Events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}
