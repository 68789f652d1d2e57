package rotate

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// remoteCommand is the line an ssh reload sends: sshd hands it to the
// user's login shell as `shell -c LINE`, so argv must survive one round of
// POSIX shell parsing unchanged. Every word is single-quoted, and a single
// quote inside a word is closed, escaped and reopened; an empty word is a
// pair of quotes:
//
//	["sudo", "it's", ""]  ->  'sudo' 'it'\''s' ''
//
// Inside single quotes a POSIX shell gives no character a meaning, not $,
// `, \, ;, a newline nor a glob. This holds for sh, dash, bash, ksh and
// zsh; csh and fish login shells parse differently and are not supported.
func remoteCommand(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		words[i] = singleQuoted(w)
	}
	return strings.Join(words, " ")
}

// remoteCommandShown is remoteCommand for a person to read (a plan, the
// audit's steps): the same words, except that a word holding a character
// the screen would not show as itself (a newline, which the sanitiser
// turns into a space, an ESC, a bidi override) is shown $'…'-quoted with
// that character escaped. The line as shown reads as the same argv in
// bash, zsh, ksh and POSIX.1-2024 shells; what is sent stays
// remoteCommand's, which every POSIX shell reads.
func remoteCommandShown(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		if needsDollarQuote(w) {
			words[i] = dollarQuoted(w)
		} else {
			words[i] = singleQuoted(w)
		}
	}
	return strings.Join(words, " ")
}

// shellWords renders argv for a person to read (Steps, errors): words
// made only of safe characters stay bare, a word holding a character the
// screen would not show as itself is $'…'-quoted (as remoteCommandShown
// does), others are quoted as remoteCommand quotes them, so what is shown
// can be pasted into a shell and means the same argv.
func shellWords(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		switch {
		case w != "" && strings.Trim(w, shellSafe) == "":
			words[i] = w
		case needsDollarQuote(w):
			words[i] = dollarQuoted(w)
		default:
			words[i] = singleQuoted(w)
		}
	}
	return strings.Join(words, " ")
}

// shellSafe are the characters no POSIX shell treats specially anywhere
// in a word.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,"

func singleQuoted(w string) string { return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'" }

// needsDollarQuote reports whether w holds what a terminal does not print
// as one visible character: a control character, a format character
// (bidi overrides, zero-width spaces) or a byte that is not UTF-8.
func needsDollarQuote(w string) bool {
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRuneInString(w[i:])
		if r == utf8.RuneError && size <= 1 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return true
		}
		i += size
	}
	return false
}

// dollarQuoted is w as an ANSI-C quoted word, $'…': \n, \t and \r by name,
// \\ and \', every other invisible character as \xHH per byte (two hex
// digits, so a following hex digit is not read into it).
func dollarQuoted(w string) string {
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
