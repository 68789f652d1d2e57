package probe

import (
	"crypto/tls"
	"errors"
	"net"
	"slices"
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
var probeGroups = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}

// resumptionGroups are the groups offered by the resumption check, whose
// key exchange only has to succeed: P-256 first, because its key
// generation uses a fixed-base table (in BenchmarkProbeRound's profile a
// P-256 exchange, both ends, cost about 0.7 of an X25519 one), then the
// group the first handshake settled on, so a server that refuses P-256
// answers with a HelloRetryRequest rather than a failure that would read
// as "does not resume".
func resumptionGroups(negotiated tls.CurveID) []tls.CurveID {
	groups := []tls.CurveID{tls.CurveP256}
	if negotiated != 0 && negotiated != tls.CurveP256 {
		groups = append(groups, negotiated)
	}
	return groups
}

// groupRefused reports whether err is the alert a server sends when it
// shares no key-exchange group with the client (a server configured for
// post-quantum groups only): handshake_failure from Go and OpenSSL,
// insufficient_security or illegal_parameter from some others. The probe
// then retries once with Go's default groups, which include the hybrid
// ones, so such a server is probed rather than reported as broken.
func groupRefused(err error, cfg *tls.Config) bool {
	if !slices.Equal(cfg.CurvePreferences, probeGroups) {
		return false
	}
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
