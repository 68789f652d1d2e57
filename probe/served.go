package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"certdeck/model"
	"certdeck/rotate"
)

// Verification probes (rotate.Verifier): after an action, the engine asks
// what an endpoint serves now, again and again with backoff. Two
// implementations: the Scheduler's, which puts the probe through its own
// work queue so it never overlaps a scheduled probe of the same endpoint
// and its observation reaches the console like any other; and
// ServedProber, a plain prober for the CLI.

var (
	_ rotate.Verifier        = (*Scheduler)(nil)
	_ rotate.Verifier        = (*ServedProber)(nil)
	_ rotate.SerialsVerifier = (*Scheduler)(nil)
	_ rotate.SerialsVerifier = (*ServedProber)(nil)
)

// ServedSerial queues an immediate probe of endpoint, ahead of the
// schedule, and returns the leaf serial it observed (see probeNow). Run
// must be running.
func (s *Scheduler) ServedSerial(ctx context.Context, endpoint string) (string, error) {
	return firstSerial(s.ServedSerials(ctx, endpoint))
}

// ServedSerials is ServedSerial with the serials of the other
// certificates the endpoint serves (a dual RSA+ECDSA server's).
func (s *Scheduler) ServedSerials(ctx context.Context, endpoint string) ([]string, error) {
	o, err := s.probeNow(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	return servedSerials(o)
}

// probeNow queues an immediate probe of endpoint and returns its
// observation. The probe runs on the scheduler's workers, one at a time
// per endpoint: a probe already in flight is not the answer (it may
// predate the reload), the one queued after it is. The observation is
// also sent on the events channel, so the console's row shows what
// verification saw.
func (s *Scheduler) probeNow(ctx context.Context, endpoint string) (*model.Observation, error) {
	if _, ok := s.names[endpoint]; !ok {
		return nil, fmt.Errorf("verify %s: not a configured endpoint", endpoint)
	}
	ch, cancel := s.served.await(endpoint)
	defer cancel()
	s.q.addFirst(endpoint)
	select {
	case o := <-ch:
		return o, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("verify %s: %w", endpoint, ctx.Err())
	}
}

// servedWaiters hands observations to the ServedSerial calls waiting for
// them. Each endpoint counts the probes started on it; a waiter takes the
// first observation of a probe that started after it began waiting.
type servedWaiters struct {
	mu      sync.Mutex
	started map[string]uint64
	waiting map[string][]*servedWaiter
}

type servedWaiter struct {
	after uint64 // probes started before the wait
	ch    chan *model.Observation
}

// await registers a waiter for endpoint's next probe; cancel forgets it.
func (w *servedWaiters) await(endpoint string) (<-chan *model.Observation, func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiting == nil {
		w.started, w.waiting = map[string]uint64{}, map[string][]*servedWaiter{}
	}
	sw := &servedWaiter{after: w.started[endpoint], ch: make(chan *model.Observation, 1)}
	w.waiting[endpoint] = append(w.waiting[endpoint], sw)
	return sw.ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		ws := w.waiting[endpoint]
		for i, x := range ws {
			if x == sw {
				w.waiting[endpoint] = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
		if len(w.waiting[endpoint]) == 0 {
			delete(w.waiting, endpoint)
		}
	}
}

// start numbers a probe of endpoint as it begins (scheduler.go's worker
// calls it); finish hands that probe's observation to the waiters that
// began waiting before it started.
func (w *servedWaiters) start(endpoint string) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started == nil {
		w.started, w.waiting = map[string]uint64{}, map[string][]*servedWaiter{}
	}
	w.started[endpoint]++
	return w.started[endpoint]
}

func (w *servedWaiters) finish(endpoint string, probe uint64, o *model.Observation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ws := w.waiting[endpoint]
	keep := ws[:0]
	for _, sw := range ws {
		if probe > sw.after {
			sw.ch <- o // capacity 1, sent once: the waiter is dropped here
			continue
		}
		keep = append(keep, sw)
	}
	if len(keep) == 0 {
		delete(w.waiting, endpoint)
	} else {
		w.waiting[endpoint] = keep
	}
}

// servedSerial is what an observation says about the served leaf. A
// chain that does not verify still names its serial (verification asks
// which certificate is served, not whether it is trusted), and so does a
// server that refused the connection for want of a client certificate.
func servedSerial(o *model.Observation) (string, error) {
	if leaf := o.Leaf(); leaf != nil {
		return leaf.Serial, nil
	}
	if o.Error != "" {
		return "", errors.New(o.Error)
	}
	return "", errors.New("the server presented no certificate")
}

// firstSerial is the serial of the leaf the probe's handshake got.
func firstSerial(serials []string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return serials[0], nil
}

// servedSerials is the observed leaf's serial, then those of the other
// key type's certificates the server also serves.
func servedSerials(o *model.Observation) ([]string, error) {
	first, err := servedSerial(o)
	if err != nil {
		return nil, err
	}
	out := []string{first}
	for i := range o.AlsoServes {
		if leaf := o.AlsoServes[i].Leaf(); leaf != nil {
			out = append(out, leaf.Serial)
		}
	}
	return out, nil
}

// ServedProber is the CLI's rotate.Verifier: one certificate handshake
// per call (no resumption check), at most one at a time per endpoint.
type ServedProber struct {
	names  map[string]model.Endpoint
	prober *prober
	mu     sync.Mutex
	locks  map[string]*sync.Mutex
}

// NewServedProber probes f's endpoints with opt (Timeout defaults to the
// fleet's).
func NewServedProber(f *model.Fleet, opt ProbeOptions) *ServedProber {
	if opt.Timeout == 0 {
		opt.Timeout = f.Timeout
	}
	opt.NoResume = true
	p := &ServedProber{names: map[string]model.Endpoint{}, prober: newProber(opt, nil), locks: map[string]*sync.Mutex{}}
	for _, ep := range f.Endpoints {
		p.names[ep.Name] = ep
	}
	return p
}

// ServedSerial probes endpoint once and returns its leaf serial.
func (p *ServedProber) ServedSerial(ctx context.Context, endpoint string) (string, error) {
	return firstSerial(p.ServedSerials(ctx, endpoint))
}

// ServedSerials probes endpoint once and returns its leaf serial, then
// those of the other certificates it serves.
func (p *ServedProber) ServedSerials(ctx context.Context, endpoint string) ([]string, error) {
	ep, ok := p.names[endpoint]
	if !ok {
		return nil, fmt.Errorf("verify %s: not a configured endpoint", endpoint)
	}
	l := p.lockFor(endpoint)
	l.Lock()
	defer l.Unlock()
	return servedSerials(p.prober.probe(ctx, ep))
}

// lockFor is endpoint's lock: one verification probe at a time each.
func (p *ServedProber) lockFor(endpoint string) *sync.Mutex {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.locks[endpoint]
	if !ok {
		l = &sync.Mutex{}
		p.locks[endpoint] = l
	}
	return l
}

// BundleSerial reads bundle b from disk now, whatever its layout, and
// returns its leaf serial: what the endpoints it serves should present
// after a reload (rotate.EngineOptions.BundleSerial).
func BundleSerial(b model.Bundle) (string, error) {
	snap := ReadBundle(b, time.Now())
	facts := snap.Seal(b)
	if facts.Leaf == nil {
		if snap.Err != "" {
			return "", fmt.Errorf("bundle %s: %s", b.Name, snap.Err)
		}
		return "", fmt.Errorf("bundle %s: no certificate could be read", b.Name)
	}
	return facts.Leaf.Serial, nil
}
