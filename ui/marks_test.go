package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestSpaceMarksRowsAndEscClearsThem: space marks the row under the
// cursor and moves down; the mark column and the header's count appear;
// esc clears the marks first and the filter only after.
func TestSpaceMarksRowsAndEscClearsThem(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "/", "e", "enter") // a filter, for esc to clear after the marks
	press(m, "space", "space")
	checkGolden(t, "marks_120x40", screen(m))
	if got := selectedName(m); got != rowNames(m)[2] {
		t.Fatalf("after two spaces the cursor is on %q, want the third row %q", got, rowNames(m)[2])
	}
	press(m, "esc")
	s := screen(m)
	if strings.Contains(s, markGlyph) || !strings.Contains(s, "filter: e") {
		t.Fatalf("the first esc must clear the marks and keep the filter:\n%s", s)
	}
	press(m, "esc")
	if strings.Contains(screen(m), "filter: e") {
		t.Fatalf("the second esc did not clear the filter:\n%s", screen(m))
	}
}

// TestSpaceTwiceOnARowUnmarksIt: space toggles.
func TestSpaceTwiceOnARowUnmarksIt(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "space", "k", "space")
	if s := screen(m); strings.Contains(s, markGlyph) || strings.Contains(s, "marked") {
		t.Fatalf("a row marked and unmarked is still shown marked:\n%s", s)
	}
}

// TestMarksArePerSection: marks on the Fleet tab are not the Bundles
// tab's; each tab's header counts its own.
func TestMarksArePerSection(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	press(m, "space") // a bundle
	press(m, "tab", "space", "space", "space")
	if l := strings.Split(screen(m), "\n")[1]; !strings.Contains(l, markGlyph+" 3 marked") {
		t.Fatalf("Fleet tab header %q, want 3 marked", l)
	}
	press(m, "tab")
	if l := strings.Split(screen(m), "\n")[1]; !strings.Contains(l, markGlyph+" 1 marked") {
		t.Fatalf("Bundles tab header %q, want its own 1 marked", l)
	}
	press(m, "esc", "tab")
	if l := strings.Split(screen(m), "\n")[1]; !strings.Contains(l, "3 marked") {
		t.Fatalf("esc on the Bundles tab cleared the Fleet tab's marks: %q", l)
	}
}

// TestReprobeActsOnEveryMarkedRow: r re-probes the marked endpoints, in
// display order, including one the filter now hides (the header says
// so), and not the row under the cursor.
func TestReprobeActsOnEveryMarkedRow(t *testing.T) {
	m, p := newTestModel(t, 120, 40, false)
	rows := rowNames(m)
	press(m, "space", "j", "space", "space") // rows 0, 2, 3
	press(m, "/")
	for _, r := range rows[2] {
		press(m, string(r))
	}
	press(m, "enter")
	if l := strings.Split(screen(m), "\n")[1]; !strings.Contains(l, "3 marked (2 hidden by the filter)") {
		t.Fatalf("header %q, want 3 marked (2 hidden by the filter)", l)
	}
	runBatch(press(m, "r"))
	want := []string{rows[2], rows[0], rows[3]} // on screen first, then the hidden ones in config order
	if len(p.triggered) != 1 || !sameSet(p.triggered[0], want) {
		t.Fatalf("r probed %v, want the marked %v", p.triggered, want)
	}
	if !strings.Contains(m.flash, "re-probing 3 endpoints") {
		t.Errorf("flash %q, want it to count the batch", m.flash)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestCopyActsOnEveryMarkedRow: c puts every marked serial on the
// clipboard, one per line in display order; a marked row with no known
// certificate (stall, the first row) is skipped and the flash says so.
func TestCopyActsOnEveryMarkedRow(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "space", "space", "space")
	var want []string
	for _, name := range rowNames(m)[1:3] {
		want = append(want, servedLeaf(m.state.Endpoint(name)).Serial)
	}
	cmd := press(m, "c")
	if cmd == nil {
		t.Fatal("c over marked rows returned no command")
	}
	if got := fmt.Sprint(cmd()); got != strings.Join(want, "\n") {
		t.Fatalf("clipboard %q, want %q", got, strings.Join(want, "\n"))
	}
	if !strings.Contains(m.flash, "copied 2 serials") || !strings.Contains(m.flash, "1 with no certificate known skipped") {
		t.Errorf("flash %q", m.flash)
	}
}

// TestBundleReprobeActsOnEveryMarkedBundle: r on the Bundles tab re-reads
// each marked bundle and probes every endpoint they serve.
func TestBundleReprobeActsOnEveryMarkedBundle(t *testing.T) {
	m := newBundleModel(t, 120, 40, false)
	rescans := &fakeRescanner{}
	m.opts.Bundles = rescans
	p := m.opts.Prober.(*fakeProber)
	press(m, "space", "space")
	runBatch(press(m, "r"))
	if !sameSet(rescans.names, []string{"shopcert", "apicert"}) {
		t.Errorf("rescanned %v, want both marked bundles", rescans.names)
	}
	var probed []string
	for _, names := range p.triggered {
		probed = append(probed, names...)
	}
	if !sameSet(probed, []string{"shop", "www", "api"}) {
		t.Errorf("probed %v, want what both bundles serve", probed)
	}
}

// TestMarksStayOnTheirRowsWhenRowsResort: a mark belongs to its endpoint,
// not to a line of the screen.
func TestMarksStayOnTheirRowsWhenRowsResort(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	first := rowNames(m)[0]
	press(m, "space")
	press(m, "s", "s") // re-sort by another column
	for _, l := range strings.Split(screen(m), "\n") {
		if strings.HasPrefix(l, markGlyph) && !strings.Contains(l, " "+first+" ") {
			t.Fatalf("after a re-sort the mark is on %q, want %s's row", l, first)
		}
	}
	if !strings.Contains(screen(m), "1 marked") {
		t.Fatal("the mark was lost by the re-sort")
	}
}
