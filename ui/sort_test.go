package ui

import (
	"regexp"
	"strings"
	"testing"
)

// titleRE matches one column title (the Fleet tab's are single words).
var titleRE = regexp.MustCompile(`[A-Z]+`)

// titleSpans maps each title of a heading line to its first and last cell.
func titleSpans(heading string) map[string][2]int {
	out := map[string][2]int{}
	plain := []rune(strings.NewReplacer("▲", " ", "▼", " ").Replace(heading))
	for _, loc := range titleRE.FindAllStringIndex(string(plain), -1) {
		start := len([]rune(string(plain)[:loc[0]]))
		end := len([]rune(string(plain)[:loc[1]]))
		out[string(plain)[loc[0]:loc[1]]] = [2]int{start, end}
	}
	return out
}

// TestSortCyclesEveryColumnOnScreenWithoutMovingHeadings: at 200 columns
// s stops on every column that has an order (EXPIRES, SERIAL, TLS, TICKET
// and REASON too) and comes back to STATUS; the arrow never cuts or moves
// a title (LATENCY stays whole; LEFT stays over its numbers).
func TestSortCyclesEveryColumnOnScreenWithoutMovingHeadings(t *testing.T) {
	m, _ := newTestModel(t, 200, 30, false)
	unsorted := strings.NewReplacer(" ▼", "  ").Replace(headingLine(t, m))
	want := titleSpans(unsorted)
	var cycle []string
	for range 20 {
		press(m, "s")
		h := headingLine(t, m)
		at := strings.IndexAny(h, "▲▼")
		if at < 0 {
			t.Fatalf("no arrow in the heading after s: %q", h)
		}
		// The title next to the arrow: after it for "▲ LEFT", before it for "NAME ▲".
		var sorted string
		for title, span := range titleSpans(h) {
			a := len([]rune(h[:at]))
			if span[1]+1 == a || span[0] == a+2 {
				sorted = title
			}
		}
		if sorted == "" {
			t.Fatalf("arrow not beside a title: %q", h)
		}
		cycle = append(cycle, sorted)
		got := titleSpans(h)
		for title, span := range want {
			if got[title] != span {
				t.Errorf("sorted by %s: title %s moved or was cut: %v, unsorted %v\n%q\n%q", sorted, title, got[title], span, h, unsorted)
			}
		}
		if sorted == "STATUS" {
			break
		}
	}
	wantCycle := "NAME ADDRESS LEFT EXPIRES SERIAL ISSUER TLS TICKET LATENCY REASON STATUS"
	if got := strings.Join(cycle, " "); got != wantCycle {
		t.Fatalf("s cycles %q, want %q", got, wantCycle)
	}
}
