package probe

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// admission is what makes a probe wait its turn before it connects: the
// global rate limit (probes started per second) and the per-IP limit
// (probes in flight to one address: many virtual hosts behind one
// address must not all be probed at once). Waiting is not part of the
// probe's deadline: a probe that waited for its turn still gets its whole
// timeout for DNS, connect, STARTTLS and the handshake, less the DNS time.
// The zero limits admit at once; a nil *admission too.
type admission struct {
	rate  *rateLimit
	perIP int

	mu    sync.Mutex
	slots map[netip.Addr]*ipSlots
}

// ipSlots counts the probes in flight to one address and those waiting
// for one to end; free is signalled (capacity 1) when one ends.
type ipSlots struct {
	busy, waiting int
	free          chan struct{}
}

func newAdmission(perSecond float64, perIP int) *admission {
	a := &admission{perIP: perIP, slots: map[netip.Addr]*ipSlots{}}
	if perSecond > 0 {
		a.rate = newRateLimit(perSecond, time.Now, sleepCtx)
	}
	return a
}

// wait blocks until a probe of addr may start, or ctx is done (then ok is
// false). release must be called when the probe ends.
func (a *admission) wait(ctx context.Context, addr netip.Addr) (release func(), ok bool) {
	if a == nil {
		return func() {}, true
	}
	if a.perIP > 0 && !a.takeSlot(ctx, addr) {
		return func() {}, false
	}
	release = func() {
		if a.perIP > 0 {
			a.releaseSlot(addr)
		}
	}
	if a.rate != nil && !a.rate.wait(ctx) {
		release()
		return func() {}, false
	}
	return release, true
}

func (a *admission) takeSlot(ctx context.Context, addr netip.Addr) bool {
	a.mu.Lock()
	s := a.slots[addr]
	if s == nil {
		s = &ipSlots{free: make(chan struct{}, 1)}
		a.slots[addr] = s
	}
	for s.busy >= a.perIP {
		s.waiting++
		a.mu.Unlock()
		select {
		case <-s.free:
		case <-ctx.Done():
			a.mu.Lock()
			s.waiting--
			a.forget(addr, s)
			a.mu.Unlock()
			return false
		}
		a.mu.Lock()
		s.waiting--
	}
	s.busy++
	if s.busy < a.perIP && s.waiting > 0 {
		// Two slots may have freed while one signal was pending: pass it on.
		select {
		case s.free <- struct{}{}:
		default:
		}
	}
	a.mu.Unlock()
	return true
}

func (a *admission) releaseSlot(addr netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.slots[addr]
	s.busy--
	if s.waiting > 0 {
		select {
		case s.free <- struct{}{}:
		default:
		}
	}
	a.forget(addr, s)
}

// forget drops an address nobody probes or waits for, so the map holds
// only addresses in use. Called with mu held.
func (a *admission) forget(addr netip.Addr, s *ipSlots) {
	if s.busy == 0 && s.waiting == 0 {
		delete(a.slots, addr)
	}
}

// rateLimit spaces the starts of probes at least 1/perSecond apart (no
// burst: a fleet's first round is the burst a limit is for).
type rateLimit struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time // the earliest start of the next probe
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) bool
}

func newRateLimit(perSecond float64, now func() time.Time, sleep func(context.Context, time.Duration) bool) *rateLimit {
	return &rateLimit{interval: time.Duration(float64(time.Second) / perSecond), now: now, sleep: sleep}
}

// wait reserves the next start and sleeps until it; false when ctx ended
// first (the reservation is then lost, which only makes probes sparser).
func (r *rateLimit) wait(ctx context.Context) bool {
	r.mu.Lock()
	now := r.now()
	at := r.next
	if at.Before(now) {
		at = now
	}
	r.next = at.Add(r.interval)
	r.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return r.sleep(ctx, d)
	}
	return ctx.Err() == nil
}

// sleepCtx sleeps d or until ctx is done; false in the second case.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
