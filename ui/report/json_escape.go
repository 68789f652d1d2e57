package report

import (
	"fmt"
	"unicode/utf8"
)

// escapeTerminalRunes rewrites, inside encoded JSON, the characters a
// terminal acts on that encoding/json leaves raw: DEL, the C1 controls
// (U+0080–U+009F), the bidi embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069) and the direction marks (U+200E, U+200F,
// U+061C). Each becomes its \uXXXX escape, which decodes to the same
// string: JSON keeps exact values, and `certdeck check --format json` on a
// terminal (or piped through less) cannot be made to reorder or retitle
// what is shown. C0 controls are escaped by encoding/json already, and
// outside strings JSON is ASCII, so a byte-level pass is enough.
func escapeTerminalRunes(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if terminalRune(r) {
			if out == nil {
				out = append(make([]byte, 0, len(b)+16), b[:i]...)
			}
			out = fmt.Appendf(out, `\u%04x`, r)
		} else if out != nil {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	if out == nil {
		return b
	}
	return out
}

func terminalRune(r rune) bool {
	switch {
	case r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}
