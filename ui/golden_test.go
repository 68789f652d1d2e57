package ui

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -update rewrites golden screens. teatest's golden package already
// defines the flag in this test binary; define it only when it does not.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden screens in testdata/")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkGolden compares a screen with testdata/NAME.golden. Trailing
// spaces are kept: they prove the layout fills the terminal exactly.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("screen %s differs from golden (go test ./ui -update to accept)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestScreensMatchGolden pins what the operator sees in each state at a
// fixed clock, fixed size and ANSI theme, with escape codes stripped.
func TestScreensMatchGolden(t *testing.T) {
	tests := []struct {
		name     string
		w, h     int
		readOnly bool
		keys     []string
	}{
		{name: "first_120x40", w: 120, h: 40},
		{name: "first_80x24", w: 80, h: 24},
		{name: "detail_120x40", w: 120, h: 40, keys: []string{"j", "j", "enter"}},
		{name: "detail_80x24", w: 80, h: 24, keys: []string{"j", "j", "enter"}},
		{name: "help_120x40", w: 120, h: 40, keys: []string{"?"}},
		{name: "filter_120x40", w: 120, h: 40, keys: []string{"/", "w", "e", "b", "enter"}},
		{name: "too_small_59x15", w: 59, h: 15},
		{name: "read_only_120x40", w: 120, h: 40, readOnly: true},
		{name: "events_100x30", w: 100, h: 30, keys: []string{"l"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestModel(t, tt.w, tt.h, tt.readOnly)
			press(m, tt.keys...)
			got := screen(m)
			if tt.name != "too_small_59x15" {
				if n := strings.Count(got, "\n") + 1; n != tt.h {
					t.Errorf("screen has %d lines, want exactly %d", n, tt.h)
				}
			}
			checkGolden(t, tt.name, got)
		})
	}
}
