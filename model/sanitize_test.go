package model

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeNeutralisesTerminalControls(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is untouched", "web-1.example.com", "web-1.example.com"},
		{"unicode names are untouched", "bücher.example ✓", "bücher.example ✓"},
		{"OSC title set", "CN=\x1b]0;pwned\x07x", `CN=\x1b]0;pwned\x07x`},
		{"OSC 52 clipboard write", "\x1b]52;c;ZWNobyBoaQ==\x1b\\", `\x1b]52;c;ZWNobyBoaQ==\x1b\`},
		{"CSI cursor move", "a\x1b[2Jb", `a\x1b[2Jb`},
		{"C1 CSI as a rune", "a\u009b31mb", `a\u009b31mb`},
		{"lone 0x9b byte", "a\x9b31mb", `a\x9b31mb`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"right-to-left override", "moc.elgoog\u202e", `moc.elgoog\u202e`},
		{"bidi isolate", "\u2066x\u2069", `\u2066x\u2069`},
		{"direction marks", "\u200fx\u200e\u061c", `\u200fx\u200e\u061c`},
		{"newline, tab, CR become spaces", "a\nb\tc\rd", "a b c d"},
		{"backspace", "ok\b\b", `ok\x08\x08`},
		{"line and paragraph separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"invisible characters", "pay\u200bpal\ufeff.com\u2060\u00ad", `pay\u200bpal\ufeff.com\u2060\u00ad`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeLinesKeepsNewlinesOnly(t *testing.T) {
	got := SanitizeLines("line 1\nline\x1b[1m 2\t\n")
	want := "line 1\nline\\x1b[1m 2 \n"
	if got != want {
		t.Errorf("SanitizeLines = %q, want %q", got, want)
	}
}

func TestSanitizeDoesNotAllocateForCleanText(t *testing.T) {
	s := strings.Repeat("certificate does not match the host ", 4)
	if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); n != 0 {
		t.Errorf("Sanitize of clean text allocates %.0f times, want 0", n)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "ok", "\x1b]0;t\x07", "\u202e", "\x9b", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Sanitize(s), SanitizeLines(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("output is not UTF-8: %q", out)
			}
			for _, r := range out {
				if unsafeRune(r) && r != '\n' {
					t.Fatalf("output keeps control %U: %q", r, out)
				}
			}
		}
		if strings.Contains(Sanitize(s), "\n") {
			t.Fatalf("Sanitize keeps a newline: %q", Sanitize(s))
		}
		if firstUnsafe(s, false) < 0 && Sanitize(s) != s {
			t.Fatalf("clean input changed: %q", s)
		}
	})
}
