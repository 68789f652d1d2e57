package probe

import (
	"context"
	"errors"
	"fmt"

	"certdeck/model"
	"certdeck/rotate"
)

// Verification of a ticket-key rotation (rotate.TicketVerifier): the key
// name an endpoint's tickets carry now, by the same two paths as
// ServedSerial (the Scheduler's queue in the console, a plain prober in
// the CLI).

var (
	_ rotate.TicketVerifier = (*Scheduler)(nil)
	_ rotate.TicketVerifier = (*ServedProber)(nil)
)

// ServedTicketKey queues an immediate probe of endpoint (see probeNow)
// and returns the key name its tickets carry.
func (s *Scheduler) ServedTicketKey(ctx context.Context, endpoint string) (string, error) {
	o, err := s.probeNow(ctx, endpoint)
	if err != nil {
		return "", err
	}
	return servedTicketKey(o)
}

// ServedTicketKey probes endpoint once, with the resumption check (two
// handshakes: one ticket cannot tell a key name from a random prefix), and
// returns the key name its tickets carry.
func (p *ServedProber) ServedTicketKey(ctx context.Context, endpoint string) (string, error) {
	ep, ok := p.names[endpoint]
	if !ok {
		return "", fmt.Errorf("verify %s: not a configured endpoint", endpoint)
	}
	opt := p.prober.opt
	opt.NoResume = false
	return servedTicketKey(newProber(opt, nil).probe(ctx, ep))
}

// servedTicketKey is the key name an observation saw. Anything else is
// an error for verification to ask again about: a server in the middle of
// a reload hands out tickets of the old key from its old workers and of
// the new one from the new (the probe then sees two names: "opaque"), or
// none at all; only tickets named by one key are an answer.
func servedTicketKey(o *model.Observation) (string, error) {
	switch {
	case o.Failed():
		return "", errors.New(o.Error)
	case o.Ticket.Kind == model.TicketNamed && !o.Ticket.Opaque:
		return o.Ticket.KeyName, nil
	case o.Ticket.Kind == model.TicketNone:
		return "", errors.New("no session ticket issued")
	case o.Ticket.Kind == model.TicketOpaque:
		return "", errors.New("tickets that name no single key (opaque, or two keys during a reload)")
	}
	return "", fmt.Errorf("%s session resumption: no key name", o.Ticket.Kind)
}
