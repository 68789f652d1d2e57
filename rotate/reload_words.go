package rotate

import (
	"strings"
	"unicode/utf8"
)

// serverWordsMax bounds the server's words in a headline, in runes: a
// headline is one line of a flash, and the reload's own line (and the
// CLI) keeps the whole tail.
const serverWordsMax = 200

// errorLevels are how the servers certdeck reloads mark the line that
// says why they refused: nginx's "nginx: [emerg] unknown directive …",
// HAProxy's "[ALERT] … : parsing …". Lines before it are often warnings
// ("[warn] … ssl_stapling ignored"), lines after it a tool's advice
// (systemctl's "See journalctl -xeu …").
var errorLevels = []string{"[emerg]", "[alert]", "[crit]", "[error]"}

// serverWords is the line of a command's stderr tail (ReloadRun.Output)
// that says why it failed: the last one marked with an error level, else
// the last line; trimmed, and cut at serverWordsMax runes. "" when it
// said nothing. Unsanitised, like every text of an outcome.
func serverWords(output string) string {
	lines := strings.Split(strings.TrimSpace(output), "\n")
	pick := strings.TrimSpace(lines[len(lines)-1])
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.ToLower(lines[i])
		if containsAny(l, errorLevels) {
			pick = strings.TrimSpace(lines[i])
			break
		}
	}
	if utf8.RuneCountInString(pick) <= serverWordsMax {
		return pick
	}
	cut := 0
	for i := range pick {
		if cut == serverWordsMax-1 {
			return pick[:i] + "…"
		}
		cut++
	}
	return pick
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
