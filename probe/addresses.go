package probe

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"certdeck/model"
)

// allIPsMax bounds the addresses all_ips probes, and allIPsParallel how
// many at once: whoever answers for the name chooses how many addresses
// it has, and probing hundreds one after the other, each within the
// timeout, held `check` for minutes. At most allIPsMax/allIPsParallel
// timeouts pass before the endpoint's observation is complete.
// (Variables so a test can lower the bound; nothing else sets them.)
var (
	allIPsMax      = 64
	allIPsParallel = 16
)

// probeEveryAddress probes ep at each of addrs on its own (all_ips): the
// same name sent and verified, one connection per address, so a
// load-balanced name where one node serves an old certificate shows it.
// The observation lists one observation per address (Addresses, in address
// order); its own fields are those of the worst address, which is what the
// endpoint's row, drift and events follow (model judges the status over
// every address). Up to allIPsParallel addresses are probed at once,
// each within budget; past allIPsMax, the rest are not probed and the
// last entry says so.
func (p *prober) probeEveryAddress(ctx context.Context, ep model.Endpoint, addrs []netip.Addr, start time.Time, budget time.Duration) *model.Observation {
	addrs = slices.Clone(addrs)
	slices.SortFunc(addrs, netip.Addr.Compare)
	addrs = slices.Compact(addrs) // an answer may repeat an address
	skipped := 0
	if len(addrs) > allIPsMax {
		skipped = len(addrs) - allIPsMax
		addrs = addrs[:allIPsMax]
	}
	subs := make([]*model.Observation, len(addrs))
	sem := make(chan struct{}, allIPsParallel)
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sub := p.probeAt(ctx, ep, []netip.Addr{a}, start, budget)
			if sub.IP == "" {
				sub.IP = a.String() // a failed connect still names its address
			}
			subs[i] = sub
		}()
	}
	wg.Wait()
	worst := subs[0]
	now := p.opt.now()
	worstStatus := model.ClassifyEndpoint(worst, ep.Thresholds, now).Status
	for _, sub := range subs[1:] {
		st := model.ClassifyEndpoint(sub, ep.Thresholds, now).Status
		if st > worstStatus || st == worstStatus && expiresSooner(sub, worst) {
			worst, worstStatus = sub, st
		}
	}
	o := *worst
	o.Addresses, o.AddressesSkipped = subs, skipped
	return &o
}

// expiresSooner reports whether a's leaf expires before b's: of two
// addresses judged alike, the one serving the older certificate is the one
// to show (and to compare with the bundle on disk).
func expiresSooner(a, b *model.Observation) bool {
	la, lb := a.Leaf(), b.Leaf()
	return la != nil && lb != nil && la.NotAfter.Before(lb.NotAfter)
}
