package rotate

import "context"

// SerialsVerifier is a Verifier that can name every leaf an endpoint
// serves: a server with an RSA and an ECDSA certificate hands each to the
// clients that prefer it, and the probe's own handshake gets only one. A
// publish of the ECDSA bundle is then served when the ECDSA leaf is the
// new one, whichever one the probe's handshake got.
type SerialsVerifier interface {
	// ServedSerials probes endpoint once, now, and returns the serial of
	// the leaf its handshake got, then those of the other certificates it
	// serves (model.SerialHex form).
	ServedSerials(ctx context.Context, endpoint string) ([]string, error)
}

// servedSerialFor is what verification compares with want: the serial
// the endpoint serves, or, from a SerialsVerifier, want itself when it is
// among the certificates served.
func servedSerialFor(ctx context.Context, v Verifier, endpoint, want string) (string, error) {
	sv, ok := v.(SerialsVerifier)
	if !ok {
		return v.ServedSerial(ctx, endpoint)
	}
	serials, err := sv.ServedSerials(ctx, endpoint)
	if err != nil || len(serials) == 0 {
		return "", err
	}
	for _, s := range serials {
		if want != "" && s == want {
			return s, nil
		}
	}
	return serials[0], nil
}
