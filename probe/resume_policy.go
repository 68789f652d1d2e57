package probe

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"certdeck/model"
)

// The resumption check is a second handshake, as costly as the first in a
// round (BenchmarkProbeRound: the round with it costs 1.5–2 times one
// without). What it answers rarely changes: whether a server accepts its
// own tickets depends on its ticket keys, and a new key shows as a new key
// name. So a prober that is told to (ProbeOptions.ResumeEvery, the
// console; NoResume, `check`) remembers per server what it learned and
// checks again only when the tickets' kind or key name changes, or when
// the last answer is older than the reuse window.
//
// The second handshake has a second job: one ticket cannot tell a key name
// from a random prefix (Go's tickets start with a random IV, OpenSSL's with
// the key's name; nginx sends two TLS 1.3 tickets per connection, Go one,
// every TLS 1.2 server one). A lone ticket is classified from the server's
// remembered kind when it agrees with it (the same key name again for a
// named server, a new prefix for an opaque one), and by a second handshake
// otherwise, even under NoResume: a random prefix reported as a key name
// would be a wrong answer, and a new key every probe.
//
// Two tickets of one connection are not enough either: Dovecot's login
// processes each have their own random ticket key, so the two TLS 1.3
// tickets of one connection share a prefix and the next connection's
// share another. A key name is believed only once another connection
// showed it too: an earlier probe of the same server (the memory), an
// earlier run on the same endpoint (the ticket history), or else the
// second handshake, run for it even under NoResume: its tickets carry the
// same name, or it resumes the first connection's ticket. One that no
// other connection could confirm is reported opaque, and so never enters
// the history.

// ticketMemory is what a prober remembers of each server's tickets, keyed
// by serverKey. Entries are bounded by the servers a fleet names.
type ticketMemory struct {
	mu      sync.Mutex
	servers map[string]serverTickets
}

// serverTickets is one server's tickets as last learned.
type serverTickets struct {
	learned time.Time        // when the kind was last established from two or more tickets
	kind    model.TicketKind // as established then
	keyName string           // the current key name (named servers)
	prefix  string           // ticketPrefix of the latest ticket seen
	// checkedAt is when resumption was last checked (zero: never), and
	// resumed what the server answered.
	checkedAt time.Time
	resumed   bool
}

func newTicketMemory() *ticketMemory { return &ticketMemory{servers: map[string]serverTickets{}} }

func (m *ticketMemory) recall(server string) (serverTickets, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.servers[server]
	return s, ok
}

func (m *ticketMemory) store(server string, s serverTickets) {
	m.mu.Lock()
	m.servers[server] = s
	m.mu.Unlock()
}

// serverKey names the server a probe reached: the address connected to,
// the protocol and the SNI sent (one address serves several names, each
// with its own ticket keys in nginx).
func serverKey(ep model.Endpoint, remote string) string {
	return string(ep.Target.Protocol) + " " + remote + " " + ep.SNI
}

// reuseWindow is how long what a server's tickets showed is reused: zero
// means never (every probe checks resumption, as ProbeEndpoint does).
func (o ProbeOptions) reuseWindow() time.Duration {
	switch {
	case o.ResumeEvery > 0:
		return o.ResumeEvery
	case o.NoResume:
		// `check`: the prober lives for one round; the window only has to
		// cover it.
		return time.Hour
	}
	return 0
}

// secondTicketGrace is how long the certificate probe of server waits for
// a second TLS 1.3 ticket after the first (ticketCapture.grace): not at
// all when every probe checks resumption anyway, or when the server's kind
// is known (one ticket is then classified from
// it), else about the handshake's own latency, which grows with the load
// that also spreads the two tickets apart (1 ms to ticketWait). A server
// that sends one ticket costs that wait, and the second handshake.
func (p *prober) secondTicketGrace(server string, latency time.Duration) time.Duration {
	window := p.opt.reuseWindow()
	if window == 0 {
		return 0 // every probe checks resumption, which brings a second ticket
	}
	now := p.opt.now()
	if mem, ok := p.tickets.recall(server); ok && !now.Before(mem.learned) && now.Sub(mem.learned) < window &&
		(mem.kind == model.TicketNamed || mem.kind == model.TicketOpaque) {
		return 0
	}
	return min(max(latency, time.Millisecond), ticketWait(latency))
}

// settleTickets classifies what the server handed out and checks
// resumption when the policy (see the top of this file) asks for it.
func (p *prober) settleTickets(ctx context.Context, r resumption, sessionID []byte, server string) model.TicketInfo {
	tickets := r.capture.tickets
	info := describeTickets(tickets, sessionID)
	window := p.opt.reuseWindow()
	now := p.opt.now()
	mem, ok := p.tickets.recall(server)
	fresh := ok && window > 0 && !now.Before(mem.learned) && now.Sub(mem.learned) < window

	lone := len(tickets) == 1 && len(tickets[0]) > statefulTicketMax
	fromMemory := false
	if lone && fresh {
		switch prefix := ticketPrefix(tickets[0]); {
		case mem.kind == model.TicketNamed && prefix == mem.keyName:
			info.Kind, info.KeyName, info.Opaque = model.TicketNamed, mem.keyName, false
			lone, fromMemory = false, true
		case mem.kind == model.TicketOpaque && prefix != mem.prefix:
			info.Kind, info.KeyName, info.Opaque = model.TicketOpaque, "", true
			lone, fromMemory = false, true
		}
	}
	if !fromMemory && fresh && mem.kind == model.TicketOpaque && info.Kind == model.TicketNamed && len(tickets) > 1 &&
		info.KeyName != mem.prefix {
		// One connection's tickets agree, and disagree with the last
		// connection's: a Dovecot seen before, opaque again.
		info.Kind, info.KeyName, info.Opaque = model.TicketOpaque, "", true
		fromMemory = true
	}
	// A name only this connection's tickets showed (see the top of this file).
	unconfirmed := !fromMemory && info.Kind == model.TicketNamed && len(tickets) > 1 &&
		!(fresh && mem.kind == model.TicketNamed && mem.keyName == info.KeyName) &&
		!p.history.Load().Seen(r.ep.Name, info.KeyName)
	unchanged := fresh && mem.kind == info.Kind && mem.keyName == info.KeyName
	reuse := window > 0 && unchanged && !mem.checkedAt.IsZero() && !now.Before(mem.checkedAt) && now.Sub(mem.checkedAt) < window
	switch {
	case lone || unconfirmed || (!p.opt.NoResume && !reuse):
		checked, resumed := p.checkResumption(ctx, r, sessionID)
		info = describeTickets(r.capture.tickets, sessionID)
		if unconfirmed && len(r.capture.tickets) == len(tickets) && !resumed {
			// The second connection neither brought a ticket to compare
			// with nor resumed (which shows the key outlives a
			// connection, as HAProxy's resumed TLS 1.3 connections,
			// issuing no new ticket, do).
			info.Kind, info.KeyName, info.Opaque = model.TicketOpaque, "", true
		}
		info.ResumeChecked, info.Resumed = checked, resumed
		if checked {
			info.ResumeCheckedAt = now
		}
	case reuse:
		info.ResumeChecked, info.Resumed, info.ResumeCheckedAt = true, mem.resumed, mem.checkedAt
	}
	if window > 0 {
		p.tickets.store(server, remember(mem, unchanged, fromMemory, info, r.capture.tickets, now))
	}
	return info
}

// remember is the memory after a probe that concluded info; fromMemory
// says a lone ticket was classified from mem rather than established.
func remember(mem serverTickets, unchanged, fromMemory bool, info model.TicketInfo, tickets [][]byte, now time.Time) serverTickets {
	next := serverTickets{learned: now, kind: info.Kind, keyName: info.KeyName}
	if fromMemory {
		next.learned = mem.learned // the kind still dates from when it was established
	}
	if unchanged {
		next.checkedAt, next.resumed = mem.checkedAt, mem.resumed // else the old answer was about other keys
	}
	if info.ResumeChecked && info.ResumeCheckedAt.Equal(now) {
		next.checkedAt, next.resumed = now, info.Resumed
	}
	if n := len(tickets); n > 0 {
		next.prefix = ticketPrefix(tickets[n-1])
	}
	return next
}

// ticketPrefix is the first keyNameLen bytes of a ticket in hex, the form
// TicketInfo.KeyName takes.
func ticketPrefix(t []byte) string { return hex.EncodeToString(t[:min(len(t), keyNameLen)]) }
