package rotate

import (
	"strings"
	"testing"
)

func TestRedactorRemovesEveryRunToItsFullLength(t *testing.T) {
	const secret = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3"
	r := &redactor{}
	r.add([]byte(secret), keyRunMin, "[K]")
	for _, tc := range []struct{ name, in, want string }{
		{"no secret", "Success!\nx\x1b[1m", "Success!\nx\x1b[1m"},
		{"whole", "a " + secret + " b", "a [K] b"},
		{"a run of exactly 12", "a " + secret[5:17] + " b", "a [K] b"},
		{"11 characters stay", "a " + secret[5:16] + " b", "a " + secret[5:16] + " b"},
		{"re-wrapped", secret[:15] + "\n" + secret[15:30] + "\n" + secret[30:] + "\nok", "[K]\nok"},
		{"split by escapes", "<" + secret[:8] + "\x1b[0m" + secret[8:20] + "\u202e" + secret[20:] + ">", "<[K]>"},
		{"two runs", secret[:14] + " and " + secret[20:34], "[K] and [K]"},
		{"runes around it kept", "é" + secret[3:30] + "日本", "é[K]日本"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.redactString(tc.in); got != tc.want {
				t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	r.wipe()
	if got := r.redactString(secret); got != secret {
		t.Error("a wiped redactor still matches")
	}
}

func TestRedactThenCutRedactsBeforeTheCut(t *testing.T) {
	const secret = "c2VjcmV0LWtleS1ieXRlcy10aGF0LW11c3Qtbm90LWxlYWs"
	r := &redactor{}
	r.add([]byte(secret), keyRunMin, "[K]")
	// The limit falls 5 characters into the secret: cut first, those 5
	// would be too short to match.
	pad := strings.Repeat("x", 100-5)
	if got := redactThenCut(r, []byte(pad+secret+"\n"), 100); got != pad+"[K]\n" {
		t.Errorf("cut reply ends %q, want %q", got[len(pad):], "[K]\n")
	}
	if got := redactThenCut(r, []byte(strings.Repeat("é", 100)), 101); len(got) != 100 {
		t.Errorf("cut inside a rune: %d bytes", len(got))
	}
}
