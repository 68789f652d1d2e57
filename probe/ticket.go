package probe

import (
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"time"

	"certdeck/model"
)

// keyNameLen is the length of the key name OpenSSL-style servers (nginx,
// HAProxy, Apache) put at the start of every ticket: the name of the key
// that encrypted it (REAL-SERVERS.md: verified for nginx, TLS 1.2 and 1.3).
const keyNameLen = 16

// ticketCapture is a tls.ClientSessionCache that records the sessions a
// server issues and never offers one back (Get always misses), so the
// certificate probe is always a full handshake: a resumed TLS 1.3
// handshake would report the original session's certificate, not the one
// served now.
type ticketCapture struct {
	sessions []*tls.ClientSessionState
	tickets  [][]byte
	// stop, when set, is the raw socket of the post-handshake read: Put
	// moves its read deadline to the past so the read returns the moment
	// a ticket is stored instead of waiting out its timer.
	stop net.Conn
	// grace, when positive, is how long the read goes on after the first
	// ticket for a second one: nginx and HAProxy send two TLS 1.3 tickets,
	// usually in one segment, sometimes a little apart (measured here
	// against nginx under load: 3 µs median, 1.2 ms p99), and two tickets
	// tell a key name from a random prefix without a second handshake.
	grace time.Duration
}

// Get never returns a session; see the type comment.
func (*ticketCapture) Get(string) (*tls.ClientSessionState, bool) { return nil, false }

// Put records the ticket. crypto/tls calls it on the goroutine that is
// reading (inside Handshake for TLS 1.2, inside Read for TLS 1.3), so no
// locking is needed.
func (c *ticketCapture) Put(_ string, cs *tls.ClientSessionState) {
	if cs == nil {
		return
	}
	ticket, _, err := cs.ResumptionState()
	if err != nil || len(ticket) == 0 {
		return
	}
	c.sessions = append(c.sessions, cs)
	c.tickets = append(c.tickets, ticket)
	if c.stop == nil {
		return
	}
	if c.grace > 0 && len(c.tickets) == 1 {
		_ = c.stop.SetReadDeadline(time.Now().Add(c.grace))
		return
	}
	_ = c.stop.SetReadDeadline(time.Unix(1, 0))
}

// await reads after a TLS 1.3 handshake until a ticket beyond the first
// `before` is stored (with grace, a second one or the grace after the
// first) or wait has passed (never past deadline). Servers send
// TLS 1.3 tickets after the handshake, and Go only processes them when the
// application reads. It returns the error that ended the read when the
// server sent an alert instead (certificate_required, for one, arrives
// here: under TLS 1.3 the client's handshake is over before the server
// has read the client's certificate).
func (c *ticketCapture) await(tc *tls.Conn, raw net.Conn, before int, wait time.Duration, deadline time.Time) error {
	if len(c.tickets) > before || tc.ConnectionState().Version != tls.VersionTLS13 {
		return nil
	}
	until := time.Now().Add(wait)
	if !deadline.IsZero() && deadline.Before(until) {
		until = deadline
	}
	_ = raw.SetReadDeadline(until)
	c.stop = raw
	defer func() { c.stop = nil }()
	buf := make([]byte, 512)
	for len(c.tickets) <= before || (c.grace > 0 && len(c.tickets) == 1) {
		// Application data (a server that talks first) is discarded; the
		// loop ends on the first ticket, the deadline, or the server closing.
		if _, err := tc.Read(buf); err != nil {
			var opErr *net.OpError
			if errors.As(err, &opErr) && opErr.Op == "remote error" {
				return err
			}
			return nil
		}
	}
	return nil
}

// ticketWait is how long to wait for a TLS 1.3 ticket after the handshake.
// The server sends it once it has our Finished, about one round trip after
// the handshake completes here; the handshake latency (about two round
// trips) plus a margin covers that without waiting on servers that issue
// no tickets for long.
func ticketWait(handshake time.Duration) time.Duration {
	w := handshake + 50*time.Millisecond
	if w > time.Second {
		w = time.Second
	}
	return w
}

// resumeCache offers one captured session for the resumption check and
// records the tickets the server issues on that second connection.
type resumeCache struct {
	session *tls.ClientSessionState
	capture *ticketCapture
}

func (r *resumeCache) Get(string) (*tls.ClientSessionState, bool) { return r.session, true }

func (r *resumeCache) Put(key string, cs *tls.ClientSessionState) { r.capture.Put(key, cs) }

// statefulTicketMax is the longest ticket that is taken for a handle into
// the server's session cache rather than encrypted session state. An
// encrypted ticket carries at least the resumption secret (32 or 48 bytes)
// and a MAC; OpenSSL's stateful TLS 1.3 tickets (nginx with
// ssl_session_tickets off, measured: 32 random bytes each) are the
// session ID and nothing else.
const statefulTicketMax = 48

// describeTickets classifies what the server handed out to resume
// sessions, from every ticket seen over both handshakes and, under TLS 1.2,
// the session ID the server assigned in its ServerHello (nil otherwise).
//
//   - named: OpenSSL-style tickets (nginx, HAProxy, Apache) whose first 16
//     bytes name the encrypting key, the same on every ticket;
//   - opaque: encrypted tickets whose prefix changes on every ticket (Go
//     starts each with a random IV; Dovecot too): they name no key;
//   - stateful: tickets too short to hold encrypted state;
//   - session-id: no ticket, but a TLS 1.2 session ID to resume by.
func describeTickets(tickets [][]byte, sessionID []byte) model.TicketInfo {
	var info model.TicketInfo
	if len(tickets) == 0 {
		if len(sessionID) > 0 {
			info.Kind = model.TicketSessionID
		}
		return info
	}
	info.Issued = true
	stateful := true
	for _, t := range tickets {
		stateful = stateful && len(t) <= statefulTicketMax
	}
	if stateful {
		info.Kind = model.TicketStateful
		return info
	}
	name := tickets[0][:min(len(tickets[0]), keyNameLen)]
	for _, t := range tickets {
		if len(t) <= statefulTicketMax || string(t[:keyNameLen]) != string(name) {
			info.Kind, info.Opaque = model.TicketOpaque, true
			return info
		}
	}
	info.Kind = model.TicketNamed
	info.KeyName = hex.EncodeToString(name)
	return info
}
