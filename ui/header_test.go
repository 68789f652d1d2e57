package ui

import (
	"strings"
	"testing"
)

// TestHeaderOmitsZeroCounts: a tab with no OK row says nothing of OK
// (the tester's header read "✓ 0 OK").
func TestHeaderOmitsZeroCounts(t *testing.T) {
	fx := newFixFixture(t, false) // both endpoints drift: WARN
	m := fx.console(120, 40, false)
	if h := strings.Split(screen(m), "\n")[0]; !strings.Contains(h, "▲ 2 WARN") || strings.Contains(h, " 0 ") {
		t.Fatalf("header %q", h)
	}
}
