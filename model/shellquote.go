package model

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ShellWords renders argv for a person to read and paste (a plan's steps,
// an error, a hint naming a path): words made only of safe characters
// stay bare, a word holding a character the screen would not show as
// itself (a newline, an ESC, a bidi override) is $'…'-quoted with it
// escaped, and every other word is single-quoted (SingleQuoted), so what
// is shown means the same argv when pasted into bash, zsh, ksh or a
// POSIX.1-2024 shell, and never runs a command: inside single quotes
// neither $, `, \, ; nor a glob means anything. It is the quoting of the
// ssh reload's remote line (rotate's remoteCommand), kept here so model's
// hints quote as rotate's do.
func ShellWords(argv ...string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		switch {
		case w != "" && strings.Trim(w, shellSafe) == "":
			words[i] = w
		case NeedsDollarQuote(w):
			words[i] = DollarQuoted(w)
		default:
			words[i] = SingleQuoted(w)
		}
	}
	return strings.Join(words, " ")
}

// shellSafe are the characters no POSIX shell treats specially anywhere
// in a word.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,"

// SingleQuoted is w as one single-quoted POSIX shell word: a single quote
// inside it is closed, escaped and reopened; an empty word is a pair of
// quotes:
//
//	it's  ->  'it'\''s'
func SingleQuoted(w string) string { return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'" }

// NeedsDollarQuote reports whether w holds what a terminal does not print
// as one visible character: a control character, a format character
// (bidi overrides, zero-width spaces) or a byte that is not UTF-8.
func NeedsDollarQuote(w string) bool {
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRuneInString(w[i:])
		if r == utf8.RuneError && size <= 1 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return true
		}
		i += size
	}
	return false
}

// DollarQuoted is w as an ANSI-C quoted word, $'…': \n, \t and \r by name,
// \\ and \', every other invisible character as \xHH per byte (two hex
// digits, so a following hex digit is not read into it).
func DollarQuoted(w string) string {
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRuneInString(w[i:])
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'':
			b.WriteString(`\'`)
		case r == utf8.RuneError && size <= 1 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			for j := range max(size, 1) {
				fmt.Fprintf(&b, `\x%02x`, w[i+j])
			}
		default:
			b.WriteString(w[i : i+size])
		}
		i += max(size, 1)
	}
	b.WriteByte('\'')
	return b.String()
}
