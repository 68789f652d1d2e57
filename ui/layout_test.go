package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

func TestDetailWrapsOnWordsWithHangingIndent(t *testing.T) {
	m, _ := newTestModel(t, 80, 40, false)
	long := "x509: certificate signed by unknown authority (possibly because of \"crypto/rsa: verification error\" while trying to verify candidate authority certificate \"Example Private Root\")"
	m.Update(eventsMsg{events: []model.Event{obs("selfsigned", cert("intranet.example.com", "60718293a4b5c6d7e8f90a1b2c3d4e5f", 300*24*time.Hour), func(o *model.Observation) {
		o.Verified, o.VerifyError = false, long
	})}})
	for selectedName(m) != "selfsigned" {
		press(m, "j")
	}
	press(m, "enter")
	lines := strings.Split(screen(m), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, " verify ") {
			start = i
		}
	}
	if start < 0 {
		t.Fatalf("no verify line in the detail pane:\n%s", screen(m))
	}
	// The value and its continuation lines, up to the next label.
	var text []string
	for i := start; i < len(lines); i++ {
		l := lines[i]
		if i > start && !strings.HasPrefix(l, " "+strings.Repeat(" ", labelWidth+1)) {
			break
		}
		if i > start && l[labelWidth+2] == ' ' {
			t.Errorf("continuation line does not hang under the value: %q", l)
		}
		text = append(text, strings.TrimSpace(l[labelWidth+2:]))
	}
	if len(text) < 3 {
		t.Fatalf("the long verify error did not wrap:\n%s", strings.Join(lines[start:start+4], "\n"))
	}
	// Every word of the error is whole on one line.
	joined := " " + strings.Join(text, " ") + " "
	for _, w := range strings.Fields(long) {
		if !strings.Contains(joined, " "+w+" ") && !strings.Contains(joined, " "+w) {
			t.Fatalf("word %q was cut across lines:\n%s", w, strings.Join(text, "\n"))
		}
	}
}

func TestHeaderCountsTheActiveTabsRows(t *testing.T) {
	m := newBundleModel(t, 120, 40, false) // on the Bundles tab
	header := strings.Split(screen(m), "\n")[0]
	if !strings.Contains(header, "▲ 1 WARN  ✓ 1 OK") || strings.Contains(header, "CRIT") {
		t.Fatalf("Bundles header counts more than its 2 bundles: %q", header)
	}
	press(m, "tab")
	header = strings.Split(screen(m), "\n")[0]
	counts := regexp.MustCompile(`[!✗▲?✓] (\d+) `).FindAllStringSubmatch(header, -1)
	total := 0
	for _, c := range counts {
		n := 0
		for _, d := range c[1] {
			n = n*10 + int(d-'0')
		}
		total += n
	}
	if total != 11 {
		t.Fatalf("Fleet header counts %d rows, want its 11 endpoints: %q", total, header)
	}
}

func TestBundlePathIsCutInTheMiddle(t *testing.T) {
	theme, _ := themes.Builtin(themes.ANSI)
	f := bundleFleet(t)
	f.Bundles[0].Path = "/srv/very/long/mount/point/for/certificates/of/the/shop/store/shopcert"
	f.Bundles[1].Path = "/srv/very/long/mount/point/for/certificates/of/the/shop/store/apicert"
	m := New(Options{Fleet: f, Theme: theme, ThemeDecided: true, Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	press(m, "tab")
	shop, api := rowOf(t, m, "shopcert"), rowOf(t, m, "apicert")
	if !strings.Contains(shop, "/srv/very") || !strings.HasSuffix(strings.TrimRight(shop, " "), "store/shopcert") ||
		!strings.HasSuffix(strings.TrimRight(api, " "), "store/apicert") || !strings.Contains(shop, "…") {
		t.Fatalf("paths not cut in the middle:\n%s\n%s", shop, api)
	}
}

func TestIssuerIsWholeAt200Columns(t *testing.T) {
	m, _ := newTestModel(t, 200, 30, false)
	if got := cellUnder(t, screen(m), "ISSUER", "api"); got != "Example Issuing CA 1" {
		t.Fatalf("ISSUER at 200 columns shows %q, want the whole name", got)
	}
}

func TestHeaderShowsRowPosition(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, false)
	press(m, "j", "j")
	if l := strings.Split(screen(m), "\n")[1]; !strings.HasSuffix(strings.TrimRight(l, " "), "3/11") {
		t.Fatalf("header line %q does not end with the row position 3/11", l)
	}
	press(m, "/", "w", "e", "b", "enter", "G")
	if l := strings.Split(screen(m), "\n")[1]; !strings.Contains(l, "(4 of 11)") || !strings.HasSuffix(strings.TrimRight(l, " "), "4/4") {
		t.Fatalf("filtered header %q: want (4 of 11) and 4/4", l)
	}
}
