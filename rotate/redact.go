package rotate

import (
	"bytes"
	"hash/maphash"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// keyRunMin is the shortest run of a private key's (or a ticket key's)
// base64 that is removed from a server's text: 12 characters are 72 bits
// of the secret, too many to be a coincidence in a reply, and short enough
// that an echo cut by a read limit, truncated per line or re-wrapped
// leaves nothing useful behind.
const keyRunMin = 12

// tokenRunMax is the window for a bearer token: any 8 characters of it
// (or the whole token, when shorter) are removed, so a prefix, a copy
// split by a line break or an escape sequence is caught too.
const tokenRunMax = 8

// redactMargin is how much more than its display limit a reply is read:
// a secret run the limit cuts is seen whole, removed, and only then is
// the text cut. It exceeds the base64 body of an RSA-8192 key.
const redactMargin = 8 << 10

// redactor removes secrets from text a server sent (a runtime-API reply,
// an HTTP body or header) before it reaches a result, an error, the screen
// or the audit log. A secret is known by its text (a key's base64 body
// without line breaks, a token); every run of at least its window's
// length that occurs anywhere in that text is replaced by the secret's
// label, extended to its longest match. Matching ignores the control
// characters, escape sequences and invisible format characters in the
// reply, so an echo split by "\n" or "\x1b[0m" is still found. The zero
// value redacts nothing.
type redactor struct {
	secrets []redactSecret
}

type redactSecret struct {
	text    []byte // a private copy, cleared by wipe
	window  int
	label   string
	seed    maphash.Seed
	windows map[uint64]struct{} // hashes of every window of text: no secret bytes
}

// add registers a secret. Text shorter than window is registered with the
// window shortened to its length (an exact match).
func (r *redactor) add(text []byte, window int, label string) {
	if len(text) == 0 || window <= 0 {
		return
	}
	window = min(window, len(text))
	s := redactSecret{text: bytes.Clone(text), window: window, label: label, seed: maphash.MakeSeed(), windows: map[uint64]struct{}{}}
	for i := 0; i+window <= len(s.text); i++ {
		s.windows[maphash.Bytes(s.seed, s.text[i:i+window])] = struct{}{}
	}
	r.secrets = append(r.secrets, s)
}

// wipe clears the secrets' bytes; the redactor redacts nothing afterwards.
func (r *redactor) wipe() {
	for _, s := range r.secrets {
		clear(s.text)
	}
	r.secrets = nil
}

// redactString is redact for text already held as a string (a header, an
// error).
func (r *redactor) redactString(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	return r.redact([]byte(s))
}

// redact returns b with every secret run replaced by its secret's label.
func (r *redactor) redact(b []byte) string {
	if r == nil || len(r.secrets) == 0 {
		return string(b)
	}
	view, orig := visibleBytes(b)
	defer clear(view)
	var spans []redactSpan
	for _, s := range r.secrets {
		spans = append(spans, s.find(b, view, orig)...)
	}
	if len(spans) == 0 {
		return string(b)
	}
	slices.SortFunc(spans, func(a, b redactSpan) int { return a.start - b.start })
	var out strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].start <= cur.end; i++ {
			cur.end = max(cur.end, spans[i].end)
		}
		out.Write(b[at:cur.start])
		out.WriteString(cur.label)
		at = cur.end
	}
	out.Write(b[at:])
	return out.String()
}

// redactSpan is a byte range of the original text to replace.
type redactSpan struct {
	start, end int
	label      string
}

// find returns the spans of b (in b's offsets) whose visible bytes are
// runs of s's text: the union of every matching window, so each run is
// removed to its full length.
func (s redactSecret) find(b, view []byte, orig []int) []redactSpan {
	var spans []redactSpan
	w := s.window
	vs, ve := -1, -1 // the run being extended, in view offsets
	flush := func() {
		if vs < 0 {
			return
		}
		start, end := orig[vs], orig[ve-1]+1
		// Whole runes only: a cut rune would be left as a stray byte.
		for start > 0 && !utf8.RuneStart(b[start]) {
			start--
		}
		for end < len(b) && !utf8.RuneStart(b[end]) {
			end++
		}
		spans = append(spans, redactSpan{start: start, end: end, label: s.label})
		vs, ve = -1, -1
	}
	for i := 0; i+w <= len(view); i++ {
		win := view[i : i+w]
		if _, ok := s.windows[maphash.Bytes(s.seed, win)]; !ok || !bytes.Contains(s.text, win) {
			continue
		}
		if vs >= 0 && i > ve {
			flush()
		}
		if vs < 0 {
			vs = i
		}
		ve = i + w
	}
	flush()
	return spans
}

// visibleBytes is b without what a terminal does not print as a character
// (C0 and C1 controls, DEL, ANSI escape sequences, format characters such
// as bidi overrides and zero-width spaces, bytes that are not UTF-8), and
// for each byte kept its offset in b.
func visibleBytes(b []byte) ([]byte, []int) {
	view := make([]byte, 0, len(b))
	orig := make([]int, 0, len(b))
	for i := 0; i < len(b); {
		if n := escapeLen(b[i:]); n > 0 {
			i += n
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			i += max(size, 1)
			continue
		}
		for j := range size {
			view = append(view, b[i+j])
			orig = append(orig, i+j)
		}
		i += size
	}
	return view, orig
}

// escapeLen is the length of the escape sequence b starts with, or 0:
// ESC or CSI (U+009B) with its parameters and final byte, an OSC, DCS,
// APC, PM or SOS string up to BEL or ST, or ESC with an intermediate and
// final byte.
func escapeLen(b []byte) int {
	switch {
	case len(b) >= 2 && b[0] == 0xc2 && b[1] == 0x9b: // CSI as U+009B
		return 2 + csiLen(b[2:])
	case len(b) == 0 || b[0] != 0x1b:
		return 0
	case len(b) == 1:
		return 1
	}
	switch b[1] {
	case '[':
		return 2 + csiLen(b[2:])
	case ']', 'P', '_', '^', 'X':
		for i := 2; i < len(b); i++ {
			if b[i] == 0x07 {
				return i + 1
			}
			if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '\\' {
				return i + 2
			}
		}
		return len(b)
	}
	i := 1
	for i < len(b) && b[i] >= 0x20 && b[i] <= 0x2f {
		i++
	}
	if i < len(b) && b[i] >= 0x30 && b[i] <= 0x7e {
		i++
	}
	return i
}

// csiLen is the length of a CSI sequence's parameters, intermediates and
// final byte.
func csiLen(b []byte) int {
	for i, c := range b {
		if c >= 0x40 && c <= 0x7e {
			return i + 1
		}
		if c < 0x20 || c > 0x7e {
			return i // not a CSI after all: keep what follows
		}
	}
	return len(b)
}

// pemKeyBodies is the base64 body of every private key block in pemData,
// each key's lines joined without line breaks: what an echo of the key
// holds however it was wrapped.
func pemKeyBodies(pemData []byte) [][]byte {
	var bodies [][]byte
	var cur []byte
	inKey := false
	for _, line := range bytes.Split(pemData, []byte("\n")) {
		line = bytes.TrimRight(line, "\r \t")
		switch {
		case bytes.HasPrefix(line, []byte("-----BEGIN")) && bytes.HasSuffix(line, []byte("PRIVATE KEY-----")):
			inKey, cur = true, nil
		case bytes.HasPrefix(line, []byte("-----END")):
			if inKey && len(cur) > 0 {
				bodies = append(bodies, cur)
			}
			inKey = false
		case inKey && !bytes.Contains(line, []byte(":")): // not a Proc-Type/DEK-Info header
			cur = append(cur, line...)
		}
	}
	return bodies
}

// redactThenCut is a reply as a result keeps it: secrets removed from
// everything read, and only then cut to limit bytes (at a rune start), so
// the cut never splits a secret run before it is matched.
func redactThenCut(r *redactor, raw []byte, limit int) string {
	s := r.redact(raw)
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
