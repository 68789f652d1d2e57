package model

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
)

// HAProxyTicketLines is how many lines of a tls-ticket-keys file HAProxy
// uses: the last three. Of those the middle one (second-to-last line)
// encrypts, the last is the pre-staged next key and the first the
// previous one; earlier lines are read and ignored (ssl_sock.c loads line
// i into slot i % 3 and encrypts with slot (n-2) % 3; REAL-SERVERS.md).
const HAProxyTicketLines = 3

// ParseHAProxyTicketKeys reads a tls-ticket-keys file as HAProxy 2.6 does
// and refuses what it refuses: a line that is empty or not base64, a key
// that is neither 48 nor 80 bytes, lines of different sizes, fewer than
// three lines. A line may end in "\r\n". It returns every key in file
// order; HAProxyRoles picks the three in use. Errors name the line, never
// its content.
func ParseHAProxyTicketKeys(data []byte) ([]TicketKey, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file: HAProxy needs at least 3 base64 keys, one per line")
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // the newline ending the last line
	}
	keys := make([]TicketKey, 0, len(lines))
	size := 0
	for i, line := range lines {
		n := i + 1
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return nil, fmt.Errorf("line %d is empty (HAProxy refuses a blank line in tls-ticket-keys)", n)
		}
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(line)))
		m, err := base64.StdEncoding.Decode(raw, line)
		if err != nil {
			var ce base64.CorruptInputError
			if errors.As(err, &ce) {
				return nil, fmt.Errorf("line %d is not base64 (bad input at byte %d)", n, int64(ce)+1)
			}
			return nil, fmt.Errorf("line %d is not base64", n)
		}
		raw = raw[:m]
		if m != TicketKey48 && m != TicketKey80 {
			clear(raw)
			return nil, fmt.Errorf("line %d decodes to %d bytes; HAProxy keys are 48 or 80 bytes", n, m)
		}
		if size == 0 {
			size = m
		} else if m != size {
			clear(raw)
			return nil, fmt.Errorf("line %d is a %d-byte key after %d-byte ones; HAProxy needs every line the same size", n, m, size)
		}
		k, err := ParseTicketKey(TicketHAProxy, raw)
		clear(raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		keys = append(keys, k)
	}
	if len(keys) < HAProxyTicketLines {
		return nil, fmt.Errorf("%d line(s); HAProxy needs at least %d keys (it uses the last 3: previous, current, next)", len(keys), HAProxyTicketLines)
	}
	return keys, nil
}

// HAProxyRoles returns the keys HAProxy uses from a parsed file: the last
// three lines are previous, current (encrypts) and next. keys must hold at
// least three (ParseHAProxyTicketKeys guarantees it).
func HAProxyRoles(keys []TicketKey) (previous, current, next TicketKey) {
	n := len(keys)
	return keys[n-3], keys[n-2], keys[n-1]
}

// EncodeHAProxyTicketKeys writes keys as a tls-ticket-keys file: one
// base64 line each, in the order given (previous, current, next for a
// file HAProxy should use that way). Every key must be the same size. The
// result is secret.
func EncodeHAProxyTicketKeys(keys []TicketKey) ([]byte, error) {
	var out bytes.Buffer
	for i, k := range keys {
		if i > 0 && k.Size() != keys[0].Size() {
			return nil, fmt.Errorf("%s is %d bytes, %s is %d: HAProxy needs every line the same size", k, k.Size(), keys[0], keys[0].Size())
		}
		raw, err := k.Encode(TicketHAProxy)
		if err != nil {
			return nil, err
		}
		line := make([]byte, base64.StdEncoding.EncodedLen(len(raw)))
		base64.StdEncoding.Encode(line, raw)
		clear(raw)
		out.Write(line)
		out.WriteByte('\n')
		clear(line)
	}
	return out.Bytes(), nil
}
