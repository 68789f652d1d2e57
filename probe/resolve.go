package probe

import (
	"context"
	"net"
	"net/netip"
	"slices"

	"certdeck/model"
)

// Resolver finds the addresses of a host name. *net.Resolver satisfies it;
// tests give a fixed table (a name on 127.0.0.1 and ::1).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// addresses is where t can be reached: its IP literal, or every address
// the resolver gives for its name, in the resolver's order (RFC 6724 for
// Go's own), IPv4-mapped ones unmapped and duplicates dropped. A probe
// resolves once and connects to addresses, so a rate or per-IP limit
// knows the address before connecting, every address of a name can be
// probed on its own (all_ips), and the resumption check reaches the
// server the certificate probe reached.
func (p *prober) addresses(ctx context.Context, t model.Target) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(t.Host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	var r Resolver = net.DefaultResolver
	if p.opt.Resolver != nil {
		r = p.opt.Resolver
	}
	found, err := r.LookupNetIP(ctx, "ip", t.Host)
	if err != nil {
		return nil, &stepError{step: stepDial, err: err}
	}
	var out []netip.Addr
	for _, a := range found {
		if a = a.Unmap(); a.IsValid() && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &stepError{step: stepDial, err: &net.DNSError{Err: "no addresses", Name: t.Host, IsNotFound: true}}
	}
	return out, nil
}

// pinned is ep reached at addr: the same name sent (SNI) and the same
// protocol, the connection made to that address only.
func pinned(ep model.Endpoint, addr netip.Addr) model.Endpoint {
	ep.Target.Host = addr.String()
	return ep
}
