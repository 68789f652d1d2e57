package probe

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"certdeck/model"
)

// probeEveryAddress probes ep at each of addrs on its own (all_ips): the
// same name sent and verified, one connection per address, so a
// load-balanced name where one node serves an old certificate shows it.
// The observation lists one observation per address (Addresses, in address
// order); its own fields are those of the worst address, which is what the
// endpoint's row, drift and events follow (model judges the status over
// every address). The addresses are probed one after the other, each
// within budget: an endpoint never has more than one probe in flight.
func (p *prober) probeEveryAddress(ctx context.Context, ep model.Endpoint, addrs []netip.Addr, start time.Time, budget time.Duration) *model.Observation {
	addrs = slices.Clone(addrs)
	slices.SortFunc(addrs, netip.Addr.Compare)
	subs := make([]*model.Observation, 0, len(addrs))
	for _, a := range addrs {
		sub := p.probeAt(ctx, ep, []netip.Addr{a}, start, budget)
		if sub.IP == "" {
			sub.IP = a.String() // a failed connect still names its address
		}
		subs = append(subs, sub)
	}
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
	o.Addresses = subs
	return &o
}

// expiresSooner reports whether a's leaf expires before b's: of two
// addresses judged alike, the one serving the older certificate is the one
// to show (and to compare with the bundle on disk).
func expiresSooner(a, b *model.Observation) bool {
	la, lb := a.Leaf(), b.Leaf()
	return la != nil && lb != nil && la.NotAfter.Before(lb.NotAfter)
}
