package probe

import (
	"crypto/tls"
	"errors"
	"net"

	"certdeck/model"
)

// probeGroups are the classical key-exchange groups, in Go's own order,
// without the hybrid post-quantum groups Go offers by default. A probe
// reads public certificates and carries no secret, so post-quantum
// confidentiality protects nothing here, while the hybrid share costs both
// ends an ML-KEM operation and adds 1.2 KB to every ClientHello: in
// BenchmarkProbeRound it was a fifth of the CPU of a full handshake, for
// the client and the server together. Probing a fleet every minute, that
// is load on the fleet too. The hybrid groups are not even listed:
// OpenSSL 3.5's default group tuples would then answer with a
// HelloRetryRequest for X25519MLKEM768, costing a round trip and the very
// ML-KEM work this avoids.
var probeGroups = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}

// p256Groups are what a probe offers first: P-256, whose key generation
// uses a fixed-base table, so the client's side of the exchange costs
// about 0.63 of X25519's (66 vs 105 µs with crypto/ecdh here; X25519 was
// a quarter of a `check` round's CPU against nginx) and OpenSSL's side the
// same as X25519's. Go sends a key share only for the first group of its
// own fixed order, whatever the order of CurvePreferences (X25519 ranks
// above P-256), so X25519 is left out: listing it would put an X25519
// share on the wire instead. P-384 and P-521 stay listed for servers
// hardened to those (they answer with a HelloRetryRequest). Every TLS
// library's defaults include P-256; a server that refuses it (nginx with
// `ssl_ecdh_curve X25519`) is asked again with Go's defaults, and the group
// it settles on is remembered for its address (p256Refused) and offered
// alone from then on, so it is asked twice only once per process.
var p256Groups = []tls.CurveID{tls.CurveP256, tls.CurveP384, tls.CurveP521}

// certificateGroups is what the certificate probe of ep offers.
func (p *prober) certificateGroups(ep model.Endpoint) []tls.CurveID {
	if g, refused := p.p256Refused.Load(ep.Target.Addr()); refused {
		return []tls.CurveID{g.(tls.CurveID)}
	}
	return p256Groups
}

// resumptionGroups is what the resumption check offers: the group the
// certificate probe settled on, alone, so there is no HelloRetryRequest
// (P-256 for every server that accepts it, see p256Groups). A TLS 1.2
// handshake without ECDHE settled on none: the probe's groups again.
func resumptionGroups(negotiated tls.CurveID) []tls.CurveID {
	if negotiated == 0 {
		return p256Groups
	}
	return []tls.CurveID{negotiated}
}

// groupRefused reports whether err is the alert a server sends when it
// shares no key-exchange group with the client (X25519-only, or
// post-quantum-only), for a probe that offered chosen groups. The probe
// then retries once with Go's default groups (X25519 and the hybrid ones
// included), so such a server is probed rather than reported as broken.
func groupRefused(err error, cfg *tls.Config) bool {
	return cfg.CurvePreferences != nil && isGroupAlert(err)
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
