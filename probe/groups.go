package probe

import (
	"crypto/tls"
	"errors"
	"net"
	"slices"

	"certdeck/model"
)

// probeGroups are the key-exchange groups a certificate probe offers:
// the classical ones, in Go's own order, without the hybrid post-quantum
// groups Go offers by default. A probe reads public certificates and
// carries no secret, so post-quantum confidentiality protects nothing
// here, while the hybrid share costs both ends an ML-KEM operation and
// adds 1.2 KB to every ClientHello: in BenchmarkProbeRound it was a fifth
// of the CPU of a full handshake, for the client and the server together.
// Probing a fleet every minute, that is load on the fleet too. Only the
// X25519 share is sent; a server that wants another of these groups asks
// for it with a HelloRetryRequest. The hybrid groups are not even listed:
// OpenSSL 3.5's default group tuples would then answer with a
// HelloRetryRequest for X25519MLKEM768, costing a round trip and the very
// ML-KEM work this avoids.
//
// The certificate probe keeps X25519 first rather than offering P-256
// alone as the resumption check does: against nginx (OpenSSL 3.0) a P-256
// share cost the server about 13% more CPU per handshake (2,000
// handshakes with tickets, six alternating runs: 97.5 vs 86 ticks of the
// nginx worker) while Go's client side differed by 2%, and a probe's load
// on the fleet is what matters most.
var probeGroups = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}

// resumptionGroups is what the resumption check offers. Its key exchange
// only has to succeed, and it is the main cost a probe adds to a bare
// handshake, so it offers the cheapest group: P-256, whose key generation
// uses a fixed-base table (both ends of a P-256 exchange cost about 0.68
// of an X25519 one with crypto/ecdh; a whole resumption check 45–75 µs of
// CPU less, BenchmarkResumptionGroup). Go sends a key
// share only for the first group of its own fixed order, whatever the order
// of CurvePreferences (X25519 ranks above P-256), so P-256 is offered
// alone, and only to a server whose first handshake settled on X25519 or
// P-256: it takes the classical defaults, which include P-256 in every TLS
// library. A server that refuses it is asked again with the group it
// settled on, and remembered (p256Refused) so it is not asked every round.
// A server that insisted on another group (a HelloRetryRequest for P-384,
// a post-quantum-only server) is offered that group alone: no second
// HelloRetryRequest.
func (p *prober) resumptionGroups(ep model.Endpoint, negotiated tls.CurveID) []tls.CurveID {
	switch negotiated {
	case 0: // TLS 1.2 without ECDHE: nothing to learn from
		return probeGroups
	case tls.CurveP256:
		return []tls.CurveID{tls.CurveP256}
	case tls.X25519:
		if _, refused := p.p256Refused.Load(ep.Target.Addr()); !refused {
			return []tls.CurveID{tls.CurveP256}
		}
	}
	return []tls.CurveID{negotiated}
}

// groupRefused reports whether err is the alert a server sends when it
// shares no key-exchange group with the client (a server configured for
// post-quantum groups only), for a probe that offered probeGroups. The
// probe then retries once with Go's default groups, which include the
// hybrid ones, so such a server is probed rather than reported as broken.
func groupRefused(err error, cfg *tls.Config) bool {
	return slices.Equal(cfg.CurvePreferences, probeGroups) && isGroupAlert(err)
}

// isGroupAlert reports whether err is an alert servers send when they
// share no group with the client: handshake_failure from Go and OpenSSL,
// insufficient_security or illegal_parameter from some others.
func isGroupAlert(err error) bool {
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "remote error" {
		return false
	}
	// crypto/tls reports a received alert as an unexported type; its
	// message is the stable part ("tls: handshake failure").
	switch opErr.Err.Error() {
	case "tls: handshake failure", "tls: insufficient security", "tls: illegal parameter":
		return true
	}
	return false
}
