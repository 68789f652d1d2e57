package model

import (
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
)

// redacted is what every printing path of a secret writes instead of it.
const redacted = "[secret]"

// TicketSecret holds one secret half of a session-ticket key: its AES or
// its HMAC bytes. Whoever holds them can decrypt every ticket the key
// issued and forge new ones, so they must never reach a log, an error, the
// screen or a test failure message. Every way Go prints a value prints
// "[secret]" instead: String, GoString and Format (all verbs: %v %+v %#v
// %s %x %q), slog's LogValue and MarshalText (JSON, YAML). The bytes are
// held by a closure, which reflection cannot look into: fmt printing a
// TicketSecret where its methods cannot be called (an unexported field of
// another struct, a bad verb) shows a function's address, never the bytes
// (a pointer or a byte slice would be printed in full there).
//
// The zero value holds nothing.
type TicketSecret struct{ get func() []byte }

// newTicketSecret copies b: the caller's buffer may be reused or zeroed.
func newTicketSecret(b []byte) TicketSecret {
	held := append([]byte(nil), b...)
	return TicketSecret{get: func() []byte { return held }}
}

// Bytes returns the secret for the cipher or MAC that uses it. The caller
// must not print, log or keep it beyond that use.
func (s TicketSecret) Bytes() []byte {
	if s.get == nil {
		return nil
	}
	return s.get()
}

// Len is the secret's length in bytes (16 or 32).
func (s TicketSecret) Len() int { return len(s.Bytes()) }

// Equal compares two secrets in constant time.
func (s TicketSecret) Equal(o TicketSecret) bool {
	return subtle.ConstantTimeCompare(s.Bytes(), o.Bytes()) == 1
}

func (TicketSecret) String() string   { return redacted }
func (TicketSecret) GoString() string { return "model.TicketSecret{" + redacted + "}" }

// Format prints "[secret]" for every verb and flag.
func (TicketSecret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue keeps the secret out of structured logs.
func (TicketSecret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps the secret out of JSON and YAML.
func (TicketSecret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
