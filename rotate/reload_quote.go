package rotate

import "strings"

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
		words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(words, " ")
}

// shellWords renders argv for a person to read (Steps, errors): words
// made only of safe characters stay bare, others are quoted as
// remoteCommand quotes them, so what is shown can be pasted into a shell
// and means the same argv.
func shellWords(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		if w != "" && strings.Trim(w, shellSafe) == "" {
			words[i] = w
			continue
		}
		words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(words, " ")
}

// shellSafe are the characters no POSIX shell treats specially anywhere
// in a word.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,"
