package model

import (
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// TicketFormat is how a server stores its session-ticket keys. Formats
// differ in the order of the secret halves, and a key read in the wrong
// format is silently useless (tickets encrypted with it decrypt nowhere
// else), so a format is always named, never guessed:
//
//	nginx48   one raw file per key: name 16 | AES-128 16 | HMAC 16
//	nginx80   one raw file per key: name 16 | HMAC 32 | AES-256 32
//	haproxy   one file, one base64 line per key, 48 bytes (name | AES-128 |
//	          HMAC 16) or 80 bytes (name | AES-256 32 | HMAC 32), every line
//	          the same size; only the last three lines are used
//	apache48  one raw file per key: name 16 | HMAC 16 | AES-128 16
//
// (nginx: ngx_ssl_session_ticket_keys in ngx_event_openssl.c; HAProxy:
// struct tls_sess_key_128/256 in ssl_sock-t.h; Apache: mod_ssl's
// SSLSessionTicketKeyFile.) The 80-byte nginx and HAProxy layouts put the
// HMAC and AES halves in opposite order: the same 80 bytes are two
// different keys to them.
type TicketFormat string

const (
	TicketNginx80  TicketFormat = "nginx80"
	TicketNginx48  TicketFormat = "nginx48"
	TicketHAProxy  TicketFormat = "haproxy"
	TicketApache48 TicketFormat = "apache48"
)

// TicketFormats lists every format, for usage messages.
var TicketFormats = []TicketFormat{TicketNginx80, TicketNginx48, TicketHAProxy, TicketApache48}

// ValidateTicketFormat is the one check of a format name (config, flags).
func ValidateTicketFormat(s string) (TicketFormat, error) {
	f := TicketFormat(s)
	if slices.Contains(TicketFormats, f) {
		return f, nil
	}
	names := make([]string, len(TicketFormats))
	for i, f := range TicketFormats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("ticket key format %q: want one of %s", s, strings.Join(names, ", "))
}

// TicketKeyNameLen is the length of a key name: OpenSSL-style servers put
// it first in every ticket, so it is what the probe sees of a key.
const TicketKeyNameLen = 16

// Raw key sizes.
const (
	TicketKey48 = 48 // AES-128 and a 16-byte HMAC key
	TicketKey80 = 80 // AES-256 and a 32-byte HMAC key
)

// keyLayout is where the two secret halves sit in a raw key; the name is
// always the first 16 bytes.
type keyLayout struct {
	size            int
	aesOff, hmacOff int
	half            int // length of each half
}

// layoutOf returns the layout of a size-byte key in format f (for
// haproxy, both sizes are valid). ok is false for a size the format does
// not have.
func layoutOf(f TicketFormat, size int) (keyLayout, bool) {
	switch {
	case f == TicketNginx48 && size == TicketKey48,
		f == TicketHAProxy && size == TicketKey48:
		return keyLayout{size: 48, aesOff: 16, hmacOff: 32, half: 16}, true
	case f == TicketNginx80 && size == TicketKey80:
		return keyLayout{size: 80, hmacOff: 16, aesOff: 48, half: 32}, true
	case f == TicketHAProxy && size == TicketKey80:
		return keyLayout{size: 80, aesOff: 16, hmacOff: 48, half: 32}, true
	case f == TicketApache48 && size == TicketKey48:
		return keyLayout{size: 48, hmacOff: 16, aesOff: 32, half: 16}, true
	}
	return keyLayout{}, false
}

// TicketKeySizes lists the sizes a format accepts.
func TicketKeySizes(f TicketFormat) []int {
	switch f {
	case TicketNginx48, TicketApache48:
		return []int{TicketKey48}
	case TicketNginx80:
		return []int{TicketKey80}
	case TicketHAProxy:
		return []int{TicketKey48, TicketKey80}
	}
	return nil
}

// DefaultTicketKeySize is the size `tickets init` makes for a format:
// AES-256 where the format allows it.
func DefaultTicketKeySize(f TicketFormat) int {
	s := TicketKeySizes(f)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// TicketKey is one parsed session-ticket key: a public 16-byte name and
// two secret halves. Only the name is ever shown; printing a TicketKey in
// any way shows "ticket key <name> (<size> bytes)".
type TicketKey struct {
	name      [TicketKeyNameLen]byte
	aes, hmac TicketSecret
	size      int
}

// ParseTicketKey reads one raw key file's bytes (nginx48, nginx80,
// apache48; for haproxy, one decoded line). Errors say what is wrong with
// the size, never what the bytes are.
func ParseTicketKey(f TicketFormat, raw []byte) (TicketKey, error) {
	l, ok := layoutOf(f, len(raw))
	if !ok {
		return TicketKey{}, fmt.Errorf("%d bytes, but a %s key is %s bytes", len(raw), f, sizesWord(f))
	}
	k := TicketKey{
		aes:  newTicketSecret(raw[l.aesOff : l.aesOff+l.half]),
		hmac: newTicketSecret(raw[l.hmacOff : l.hmacOff+l.half]),
		size: l.size,
	}
	copy(k.name[:], raw[:TicketKeyNameLen])
	return k, nil
}

// NewTicketKey builds a key from its parts (tests, conversions, Go
// servers); aes and hmac must both be 16 bytes (a 48-byte key) or both 32.
func NewTicketKey(name [TicketKeyNameLen]byte, aes, hmac []byte) (TicketKey, error) {
	if len(aes) != len(hmac) || (len(aes) != 16 && len(aes) != 32) {
		return TicketKey{}, fmt.Errorf("ticket key halves of %d and %d bytes: want 16 and 16, or 32 and 32", len(aes), len(hmac))
	}
	return TicketKey{name: name, aes: newTicketSecret(aes), hmac: newTicketSecret(hmac), size: 16 + 2*len(aes)}, nil
}

// Encode lays k out in format f: the bytes of a raw key file, or of one
// HAProxy line before base64. The result is secret: write it to a 0600
// file and nowhere else. It fails when f has no key of k's size (an
// 80-byte key cannot become an apache48 one).
func (k TicketKey) Encode(f TicketFormat) ([]byte, error) {
	l, ok := layoutOf(f, k.size)
	if !ok {
		return nil, fmt.Errorf("ticket key %s is %d bytes; %s keys are %s bytes", k.Name(), k.size, f, sizesWord(f))
	}
	out := make([]byte, l.size)
	copy(out, k.name[:])
	copy(out[l.aesOff:], k.aes.Bytes())
	copy(out[l.hmacOff:], k.hmac.Bytes())
	return out, nil
}

// Name is the key name in lowercase hex: what tickets carry in their first
// 16 bytes and the only part of a key ever shown.
func (k TicketKey) Name() string { return hex.EncodeToString(k.name[:]) }

// NameBytes is the key name as it appears at the start of a ticket.
func (k TicketKey) NameBytes() [TicketKeyNameLen]byte { return k.name }

// AESKey is the encryption half: 16 bytes (AES-128) or 32 (AES-256).
func (k TicketKey) AESKey() TicketSecret { return k.aes }

// HMACKey is the MAC half (HMAC-SHA256): 16 or 32 bytes.
func (k TicketKey) HMACKey() TicketSecret { return k.hmac }

// Size is the raw key size: 48 or 80.
func (k TicketKey) Size() int { return k.size }

// IsZero reports whether k holds no key.
func (k TicketKey) IsZero() bool { return k.size == 0 }

// SameKey reports whether two keys are the same key (name and both
// secrets, compared in constant time).
func (k TicketKey) SameKey(o TicketKey) bool {
	return k.name == o.name && k.size == o.size && k.aes.Equal(o.aes) && k.hmac.Equal(o.hmac)
}

func (k TicketKey) String() string {
	if k.IsZero() {
		return "ticket key (none)"
	}
	return fmt.Sprintf("ticket key %s (%d bytes)", k.Name(), k.size)
}

func (k TicketKey) GoString() string { return "model.TicketKey{" + k.String() + "}" }

// Format prints String for every verb: no verb reaches the secrets.
func (k TicketKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue is the name only.
func (k TicketKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalText is the name only.
func (k TicketKey) MarshalText() ([]byte, error) { return []byte(k.Name()), nil }

func sizesWord(f TicketFormat) string {
	sizes := TicketKeySizes(f)
	if len(sizes) == 0 {
		return "no"
	}
	words := make([]string, len(sizes))
	for i, s := range sizes {
		words[i] = fmt.Sprint(s)
	}
	return strings.Join(words, " or ")
}
