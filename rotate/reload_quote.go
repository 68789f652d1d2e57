package rotate

import (
	"strings"

	"certdeck/model"
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
		words[i] = model.SingleQuoted(w)
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
		if model.NeedsDollarQuote(w) {
			words[i] = model.DollarQuoted(w)
		} else {
			words[i] = model.SingleQuoted(w)
		}
	}
	return strings.Join(words, " ")
}

// shellWords renders argv for a person to read (Steps, errors), as
// model.ShellWords does: bare safe words, $'…' for a word holding an
// invisible character, single quotes as remoteCommand's otherwise, so
// what is shown can be pasted into a shell and means the same argv. The
// quoting lives in model, so the hints model writes (the tmpfs advice, a
// chmod fix) quote exactly as the ssh reload does.
func shellWords(argv []string) string { return model.ShellWords(argv...) }
