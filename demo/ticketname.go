package demo

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
)

// Go servers put no key name in their session tickets (the probe reports
// them as opaque). To show the ticket-key features, the pool's servers
// wrap each ticket OpenSSL-style: a 16-byte key name first, then the
// ticket Go encrypted with that key. The probe reads the first 16 bytes,
// exactly as it does for nginx and HAProxy.

// ticketKey is one session-ticket key and the name tickets carry.
type ticketKey struct {
	name [16]byte
	key  [32]byte
}

// newTicketKey derives a key and its name from a label, so the pool's
// members agree on the key without sharing files.
func newTicketKey(label string) ticketKey {
	var k ticketKey
	k.key = sha256.Sum256([]byte("certdeck demo ticket key " + label))
	n := sha256.Sum256(append([]byte("name "), k.key[:]...))
	copy(k.name[:], n[:16])
	return k
}

// namedTickets makes cfg issue tickets named after k and accept only
// tickets carrying that name.
func namedTickets(cfg *tls.Config, k ticketKey) {
	cfg.SetSessionTicketKeys([][32]byte{k.key})
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		t, err := cfg.EncryptTicket(cs, ss)
		if err != nil {
			return nil, err
		}
		return append(k.name[:], t...), nil
	}
	cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		if len(identity) < 16 || string(identity[:16]) != string(k.name[:]) {
			// Unknown key name: a full handshake, as on OpenSSL servers.
			return nil, nil
		}
		ss, err := cfg.DecryptTicket(identity[16:], cs)
		if err != nil {
			return nil, errors.Join(errors.New("demo ticket"), err)
		}
		return ss, nil
	}
}
