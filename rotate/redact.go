package rotate

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"hash/maphash"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
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
	text    []byte // private copies of every form, NUL-separated (lower-cased when fold), cleared by wipe
	window  int
	fold    bool // match regardless of ASCII case
	label   string
	seed    maphash.Seed
	windows map[uint64]struct{} // hashes of every window of text: no secret bytes
}

// add registers a secret. Text shorter than window is registered with the
// window shortened to its length (an exact match). A window of keyRunMin
// or more matches without regard to ASCII case: a key's hex or base64 is
// echoed in lower or upper case, and 12 characters are still far too many
// to match ordinary text by chance; a token's 8 are not, so its case
// variants are registered as forms of their own (tokenForms). A text added
// under the label and window of the secret added last joins it as one
// more form (one pass over a reply matches every form); a form it already
// holds is not added twice.
func (r *redactor) add(text []byte, window int, label string) {
	if len(text) == 0 || window <= 0 {
		return
	}
	window = min(window, len(text))
	fold := window >= keyRunMin
	form := bytes.Clone(text)
	if fold {
		asciiLower(form)
	}
	if n := len(r.secrets); n > 0 && r.secrets[n-1].label == label && r.secrets[n-1].window == window {
		s := &r.secrets[n-1]
		if bytes.Contains(s.text, form) {
			clear(form)
			return
		}
		// A NUL never occurs in a reply's visible bytes, so no window
		// spans two forms.
		s.text = append(append(s.text, 0), form...)
		s.addWindows(form)
		clear(form)
		return
	}
	s := redactSecret{text: form, window: window, fold: fold, label: label, seed: maphash.MakeSeed(), windows: map[uint64]struct{}{}}
	s.addWindows(s.text)
	r.secrets = append(r.secrets, s)
}

// addToken registers a bearer token in every form a server may echo it
// in (tokenForms), each matched by any tokenRunMax characters of it.
func (r *redactor) addToken(token []byte, label string) {
	for _, form := range tokenForms(token) {
		r.add(form, tokenRunMax, label)
		clear(form)
	}
}

func (s *redactSecret) addWindows(form []byte) {
	for i := 0; i+s.window <= len(form); i++ {
		s.windows[maphash.Bytes(s.seed, form[i:i+s.window])] = struct{}{}
	}
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
	var lower []byte // view lower-cased, for the secrets matched regardless of case
	defer func() { clear(lower) }()
	var spans []redactSpan
	for _, s := range r.secrets {
		v := view
		if s.fold {
			if lower == nil {
				lower = bytes.Clone(view)
				asciiLower(lower)
			}
			v = lower
		}
		spans = append(spans, s.find(b, v, orig)...)
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

// pemKeyBodies is keyPEMForms under the name reload_haproxy.go's
// keyRedactor calls: every form of every private key in pemData, each to
// be added with keyRunMin (and cleared by the caller).
func pemKeyBodies(pemData []byte) [][]byte { return keyPEMForms(pemData) }

// keyPEMForms is every form an echo of a private key block of pemData may
// take: its base64 body, its lines joined without line breaks (however the
// echo was wrapped), that text URL- and JSON-escaped (escapedForms), and
// the key's DER (the body decoded) as URL-safe and unpadded base64 and as
// hex. Added with keyRunMin, every form matches regardless of case, so
// upper- and mixed-case hex and lower-cased base64 are caught too. The
// caller clears the forms.
func keyPEMForms(pemData []byte) [][]byte {
	var forms [][]byte
	for _, body := range pemKeyTexts(pemData) {
		forms = append(forms, body)
		forms = append(forms, escapedForms(body)...)
		der := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
		if n, err := base64.StdEncoding.Decode(der, body); err == nil {
			// No other alignments (as tokenForms has): a key's DER is
			// echoed whole, and shifted, its public modulus would match
			// the certificate's base64 as well.
			forms = append(forms, base64Forms(der[:n], false)...)
			forms = append(forms, hexForms(der[:n])...)
		}
		clear(der)
	}
	return forms
}

// pemKeyTexts is the base64 body of every private key block in pemData,
// each key's lines joined without line breaks: what an echo of the key
// holds however it was wrapped.
func pemKeyTexts(pemData []byte) [][]byte {
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

// tokenForms is every form of a bearer token an echo may take: the token
// as is, URL- and JSON-escaped (escapedForms), and its bytes as base64 in
// every alignment and as hex (lower and upper case: a token's window is
// too short to match regardless of case).
func tokenForms(token []byte) [][]byte {
	forms := [][]byte{bytes.Clone(token)}
	forms = append(forms, escapedForms(token)...)
	forms = append(forms, base64Forms(token, true)...)
	return append(forms, hexForms(token)...)
}

// escapedForms is text as a server quotes it in a URL or a JSON string:
// url.QueryEscape and url.PathEscape (with upper- and lower-case hex
// digits), every byte but the unreserved ones %-escaped, encoding/json's
// string escaping (without the quotes), the same with "/" as "\/" (PHP's
// json_encode), and every character but letters and digits as a \uXXXX
// escape (both cases). Forms equal to text are left out.
func escapedForms(text []byte) [][]byte {
	var forms [][]byte
	keep := func(f []byte) {
		if !bytes.Equal(f, text) {
			forms = append(forms, f)
		} else {
			clear(f)
		}
	}
	for _, upper := range []bool{true, false} {
		keep(percentEscaped(text, queryKeeps, upper))
		keep(percentEscaped(text, pathKeeps, upper))
		keep(percentEscaped(text, unreserved, upper))
		keep(unicodeEscaped(text, upper))
	}
	js := jsonEscaped(text)
	if bytes.IndexByte(js, '/') >= 0 {
		keep(bytes.ReplaceAll(js, []byte("/"), []byte(`\/`)))
	}
	keep(js)
	return forms
}

// The bytes each percent-escaping leaves as they are (url.QueryEscape
// also writes a space as "+"), besides letters and digits.
const (
	unreserved = "-_.~"
	queryKeeps = unreserved
	pathKeeps  = unreserved + "$&+:=@"
)

// percentEscaped is text with every byte but letters, digits and keeps
// written %XX, as net/url does (a space as "+" when keeps is queryKeeps).
// It works on bytes, so no string copy of a secret is left to the GC.
func percentEscaped(text []byte, keeps string, upper bool) []byte {
	digits := lowerHex
	if upper {
		digits = upperHex
	}
	out := make([]byte, 0, len(text)*3)
	for _, c := range text {
		switch {
		case isAlnum(c) || strings.IndexByte(keeps, c) >= 0:
			out = append(out, c)
		case c == ' ' && keeps == queryKeeps:
			out = append(out, '+')
		default:
			out = append(out, '%', digits[c>>4], digits[c&0xf])
		}
	}
	return out
}

// jsonEscaped is text as encoding/json writes it inside a string, without
// the quotes (HTML characters escaped, as json.Marshal does).
func jsonEscaped(text []byte) []byte {
	out := make([]byte, 0, len(text)+8)
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				out = append(out, '\\', c)
			case c == '\b':
				out = append(out, '\\', 'b')
			case c == '\f':
				out = append(out, '\\', 'f')
			case c == '\n':
				out = append(out, '\\', 'n')
			case c == '\r':
				out = append(out, '\\', 'r')
			case c == '\t':
				out = append(out, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				out = append(out, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			default:
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			out = append(out, '\\', 'u', '2', '0', '2', lowerHex[r&0xf])
		default:
			out = append(out, text[i:i+size]...)
		}
		i += size
	}
	return out
}

// unicodeEscaped is text with every character but letters and digits as
// a JSON \uXXXX escape (a surrogate pair beyond U+FFFF), as JavaScript
// serialisers that escape everything write it.
func unicodeEscaped(text []byte, upper bool) []byte {
	digits := lowerHex
	if upper {
		digits = upperHex
	}
	out := make([]byte, 0, len(text)*2)
	esc := func(u rune) {
		out = append(out, '\\', 'u', digits[u>>12&0xf], digits[u>>8&0xf], digits[u>>4&0xf], digits[u&0xf])
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		switch {
		case size == 1 && isAlnum(text[i]):
			out = append(out, text[i])
		case r >= 0x10000:
			hi, lo := utf16.EncodeRune(r)
			esc(hi)
			esc(lo)
		default:
			esc(r) // an invalid byte is U+FFFD, as a serialiser writes it
		}
		i += size
	}
	return out
}

// base64Forms is raw as standard and URL-safe base64, padded and not.
// With shifted, also the characters that depend on raw alone when raw
// starts 1 or 2 bytes into a 3-byte group: a token base64-encoded with
// text before it ("Bearer …", "user:token") has no other alignment.
func base64Forms(raw []byte, shifted bool) [][]byte {
	var forms [][]byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		f := make([]byte, enc.EncodedLen(len(raw)))
		enc.Encode(f, raw)
		forms = append(forms, f)
	}
	if !shifted {
		return forms
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for shift := 1; shift <= 2; shift++ {
			in := make([]byte, shift+len(raw))
			copy(in[shift:], raw)
			f := make([]byte, enc.EncodedLen(len(in)))
			enc.Encode(f, in)
			clear(in)
			// Character c holds bits [6c, 6c+6) of the input; raw's are
			// [8*shift, 8*(shift+len(raw))).
			first := (8*shift + 5) / 6
			last := 8 * (shift + len(raw)) / 6 // exclusive
			if last > first {
				forms = append(forms, append([]byte(nil), f[first:last]...))
			}
			clear(f)
		}
	}
	return forms
}

// hexForms is raw as lower- and upper-case hex.
func hexForms(raw []byte) [][]byte {
	lower := make([]byte, hex.EncodedLen(len(raw)))
	hex.Encode(lower, raw)
	upper := bytes.ToUpper(lower)
	return [][]byte{lower, upper}
}

const (
	lowerHex = "0123456789abcdef"
	upperHex = "0123456789ABCDEF"
)

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// asciiLower lower-cases b's ASCII letters in place; every other byte,
// and so every offset, stays.
func asciiLower(b []byte) {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
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
