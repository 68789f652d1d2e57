package model

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sanitize makes a string safe to write to a terminal. Certificate fields,
// server errors, file names and command-line arguments are attacker-chosen:
// an ESC in a subject can set the tmux window title or write the OSC 52
// clipboard, and a bidi override can make "moc.elgoog" read as
// "google.com". Every human-facing string (console, tables, CLI errors)
// passes through here; JSON keeps exact values, escaped by the encoder.
//
// Tabs, newlines and carriage returns become one space (a one-line field
// must stay one line); every other C0 control, DEL, every C1 control, the
// bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
// the invisible direction marks (U+200E, U+200F, U+061C), the line and
// paragraph separators (U+2028, U+2029) and the invisible format
// characters (U+200B–U+200D, U+2060, U+FEFF, U+00AD) are shown as a
// visible escape such as \x1b or \u202e; bytes that are not UTF-8 are
// shown as \xNN, because a lone 0x9b is CSI to a terminal in 8-bit mode.
// A string needing no change is returned as is, without allocating.
func Sanitize(s string) string { return sanitize(s, false) }

// SanitizeLines is Sanitize for multi-line text (help, reports): newlines
// are kept, everything else is treated as Sanitize does.
func SanitizeLines(s string) string { return sanitize(s, true) }

func sanitize(s string, keepNewlines bool) string {
	i := firstUnsafe(s, keepNewlines)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the byte offset of the first thing Sanitize changes, or -1.
func firstUnsafe(s string, keepNewlines bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if !(keepNewlines && c == '\n') {
					return i
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports the runes a terminal acts on instead of printing.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true // C0, DEL, C1
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidi embeddings, overrides, isolates
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return true // direction marks
	case r == 0x2028, r == 0x2029:
		return true // line and paragraph separators: some terminals and panes break the line there
	case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x00ad:
		return true // zero-width space, joiners, word joiner, BOM, soft hyphen: invisible, so one name can pass for another
	}
	return false
}
