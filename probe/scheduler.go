package probe

import (
	"container/heap"
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
	// Jitter, unless negative, shifts every endpoint's phase in the
	// interval (spread.go) by an offset drawn once per scheduler, so many
	// certdecks (or many fleets) do not probe in lockstep. Negative keeps
	// the phases a function of the names alone (tests).
	Jitter float64
	// Probe tunes every probe; its Timeout defaults to the fleet's.
	Probe ProbeOptions
	// Delay postpones the first periodic probes (zero: every endpoint at
	// once, then spread) and the first pass (NextRound); Trigger is served
	// meanwhile. The console runs its first round through Scheduler.Check
	// and lets the periodic probes start at their phases from Delay/2 on.
	Delay time.Duration
}

// Scheduler probes a fleet periodically with a bounded worker pool, each
// endpoint once per interval at its own phase (spread.go), failing ones
// backing off.
type Scheduler struct {
	fleet  *model.Fleet
	opt    Options
	prober *prober
	q      *queue
	names  map[string]model.Endpoint
	all    []string
	epoch  atomic.Int64 // start of the first pass, Unix nanoseconds; 0 before Run
	once   sync.Once
	served servedWaiters // verification probes waiting (served.go)

	offset time.Duration // shifts every phase (Options.Jitter)
	wake   chan struct{} // capacity 1: the earliest due time may have moved

	mu       sync.Mutex
	due      map[string]time.Time // each endpoint's next periodic probe
	pending  dueHeap              // the same, ordered (stale entries included)
	failures map[string]int       // consecutive failed probes
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
	popt := opt.Probe
	if popt.Timeout == 0 {
		popt.Timeout = f.Timeout
	}
	if popt.Clock == nil {
		popt.Clock = opt.Clock
	}
	if popt.ResumeEvery == 0 {
		popt.ResumeEvery = consoleResumeEvery
	}
	s := &Scheduler{fleet: f, opt: opt, prober: fleetProber(f, popt), q: newQueue(), names: map[string]model.Endpoint{},
		wake: make(chan struct{}, 1), due: map[string]time.Time{}, failures: map[string]int{}}
	if opt.Jitter >= 0 {
		s.offset = time.Duration(rand.Int64N(int64(f.Interval)))
	}
	for _, ep := range f.Endpoints {
		s.names[ep.Name] = ep
		s.all = append(s.all, ep.Name)
	}
	return s, nil
}

// consoleResumeEvery is how long a scheduler reuses a server's resumption
// answer while its ticket key name is unchanged (ProbeOptions.ResumeEvery;
// negative there checks on every probe).
const consoleResumeEvery = time.Hour

// Run probes every endpoint (at once, unless Options.Delay), then once per
// interval each at its own phase, plus whatever Trigger asks for, until ctx
// is done. It returns only after every goroutine it started has exited. A
// Scheduler runs once.
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

	// Passes over the fleet start at epoch + k×interval. After a Delay
	// (the console's first round) the first periodic probes begin at
	// their phases from Delay/2 on, so none waits more than about one and
	// a half intervals after that round.
	start := s.opt.Clock()
	epoch := start.Add(s.opt.Delay)
	s.mu.Lock()
	for _, name := range s.all {
		at := start
		if s.opt.Delay > 0 {
			at = nextSlot(start.Add(s.opt.Delay/2), epoch, s.phase(name), s.fleet.Interval)
		}
		s.setDue(name, at)
	}
	s.mu.Unlock()
	s.epoch.Store(epoch.UnixNano())

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		timer.Reset(s.dispatch())
	}
}

// dispatch queues the endpoints that are due and returns how long until
// the next one is.
func (s *Scheduler) dispatch() time.Duration {
	now := s.opt.Clock()
	var ready []string
	s.mu.Lock()
	wait := time.Hour
	for s.pending.Len() > 0 {
		it := s.pending[0]
		if at, ok := s.due[it.name]; !ok || !at.Equal(it.at) {
			heap.Pop(&s.pending) // superseded
			continue
		}
		if d := it.at.Sub(now); d > 0 {
			wait = d
			break
		}
		heap.Pop(&s.pending)
		delete(s.due, it.name)
		ready = append(ready, it.name)
	}
	s.mu.Unlock()
	s.q.add(false, ready...)
	return wait
}

// setDue makes at name's next periodic probe. Called with mu held.
func (s *Scheduler) setDue(name string, at time.Time) {
	s.due[name] = at
	heap.Push(&s.pending, dueItem{at: at, name: name})
}

func (s *Scheduler) phase(name string) time.Duration {
	return phaseOf(name, s.offset, s.fleet.Interval)
}

// settle records how a probe of name went and schedules its next periodic
// probe: at its phase at least half an interval on, or, after the second
// failure in a row, after the backoff. It returns the ProbeBackoff to
// report, nil when name is not backing off.
func (s *Scheduler) settle(name string, o *model.Observation) *model.ProbeBackoff {
	now := s.opt.Clock()
	iv := s.fleet.Interval
	s.mu.Lock()
	n := s.record(name, o)
	at := nextSlot(now.Add(iv/2), time.Unix(0, s.epoch.Load()), s.phase(name), iv)
	if n >= 2 {
		at = now.Add(backoffAfter(n, iv))
	}
	s.setDue(name, at)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if n < 2 {
		return nil
	}
	return &model.ProbeBackoff{Endpoint: name, Failures: n, Next: at}
}

// record counts name's failures in a row; it returns the count. An
// endpoint probed at every address fails when every address does (one
// node down is a finding, not a reason to probe the others less). Called
// with mu held.
func (s *Scheduler) record(name string, o *model.Observation) int {
	if allFailed(o) {
		s.failures[name]++
	} else {
		delete(s.failures, name)
	}
	return s.failures[name]
}

func allFailed(o *model.Observation) bool {
	if len(o.Addresses) == 0 {
		return o.Failed()
	}
	for _, a := range o.Addresses {
		if !a.Failed() {
			return false
		}
	}
	return true
}

// Check runs the check pipeline (Check) with this scheduler's prober, so
// what the first round learns (chains, ticket kinds, resumption answers)
// and its limits (rate, per-IP) are the scheduler's, and its failures count
// towards backoff. The console's first round runs through it.
func (s *Scheduler) Check(ctx context.Context, opt CheckOptions) (*model.State, time.Time) {
	state, now := check(ctx, s.fleet, s.prober, opt)
	s.mu.Lock()
	for _, es := range state.Endpoints() {
		if es.Last != nil {
			s.record(es.Endpoint.Name, es.Last)
		}
	}
	s.mu.Unlock()
	return state, now
}

// Trigger queues an immediate probe of the named endpoints (all of them
// when none is named); unknown names are ignored. Named endpoints go ahead
// of the scheduled probes waiting (the operator asked for them now). An
// endpoint already being probed is probed again afterwards, so a trigger
// after a reload always yields a probe that started after the trigger.
// Never blocks.
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
	s.q.addFirst(known...)
}

// NextRound is when the next pass over the fleet starts: every endpoint
// not backing off is probed once per pass, at its phase (zero before
// Run). Safe for concurrent use.
func (s *Scheduler) NextRound() time.Time {
	e := s.epoch.Load()
	if e == 0 {
		return time.Time{}
	}
	epoch, iv := time.Unix(0, e), s.fleet.Interval
	now := s.opt.Clock()
	if now.Before(epoch) {
		return epoch
	}
	return epoch.Add((now.Sub(epoch)/iv + 1) * iv)
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
		backoff := s.settle(name, o)
		if !s.emit(ctx, o) {
			return
		}
		if backoff != nil && !s.emit(ctx, *backoff) {
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
