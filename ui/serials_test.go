package ui

import (
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// sequentialSelfSigned mints n certificates whose serials follow one another,
// as `openssl x509 -req -CAcreateserial` issues them: one random 20-byte
// start, then +1 each time (…6e, …6f, …70).
func sequentialSelfSigned(t testing.TB, n int, hosts ...string) []*pki.Leaf {
	t.Helper()
	start, _ := new(big.Int).SetString("3218fde1a7c46b2e9d1055e3c2b4a0f1d7c9b06e", 16)
	var out []*pki.Leaf
	for i := 0; i < n; i++ {
		serial := new(big.Int).Add(start, big.NewInt(int64(i)))
		out = append(out, pki.Must(pki.SelfSigned(pki.Options{DNSNames: hosts, Serial: serial,
			NotBefore: fixedNow.Add(-30 * 24 * time.Hour), NotAfter: fixedNow.Add(time.Duration(60+i) * 24 * time.Hour)})))
	}
	return out
}

// sequentialModel is bundleFleet where the store bundle shopcert holds
// the second of three sequential certificates: shop serves it (in sync),
// www serves the first (drift) and api the third.
func sequentialModel(t *testing.T, w, h int) (*Model, []*pki.Leaf) {
	t.Helper()
	theme, _ := themes.Builtin(themes.ANSI)
	m := New(Options{Fleet: bundleFleet(t), Prober: &fakeProber{}, Theme: theme, ThemeDecided: true,
		Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	seq := sequentialSelfSigned(t, 3, "shop.example.com", "www.example.com", "api.example.com")
	events := testEvents()
	events[0] = obs("api", model.DescribeCert(seq[2].Cert))
	events[1] = obs("www", model.DescribeCert(seq[0].Cert))
	events[2] = obs("shop", model.DescribeCert(seq[1].Cert))
	events = append(events, storeSnapshot("shopcert", "v0004", seq[1]), storeSnapshot("apicert", "v0002", seq[2]))
	m.Update(eventsMsg{events: events})
	return m, seq
}

// cellUnder is the text of row's cell in the column headed title, cut at
// the next column's heading.
func cellUnder(t *testing.T, screenText, title, row string) string {
	t.Helper()
	lines := strings.Split(screenText, "\n")
	for i, head := range lines {
		at := strings.Index(head, title)
		if !strings.HasPrefix(strings.TrimLeft(head, " "), "STATUS") || at < 0 {
			continue
		}
		end := len(head)
		if next := strings.IndexFunc(head[at+len(title):], func(r rune) bool { return r >= 'A' && r <= 'Z' }); next >= 0 {
			end = at + len(title) + next
		}
		for _, l := range lines[i+1:] {
			if strings.Contains(l, " "+row+" ") {
				r := []rune(l)
				start, stop := len([]rune(head[:at])), min(len(r), len([]rune(head[:end])))
				return strings.TrimSpace(string(r[start:stop]))
			}
		}
	}
	t.Fatalf("no %s cell for %s on screen:\n%s", title, row, screenText)
	return ""
}

func TestSequentialSerialsNeverLookTheSame(t *testing.T) {
	m, seq := sequentialModel(t, 120, 40)
	fleet := screen(m)
	cells := map[string]string{}
	for _, name := range []string{"www", "shop", "api"} {
		cells[name] = cellUnder(t, fleet, "SERIAL", name)
	}
	if cells["www"] == cells["shop"] || cells["shop"] == cells["api"] || cells["www"] == cells["api"] {
		t.Fatalf("sequential serials %s, %s, %s look alike in the fleet table: %v", seq[0].Cert.SerialNumber.Text(16),
			seq[1].Cert.SerialNumber.Text(16), seq[2].Cert.SerialNumber.Text(16), cells)
	}

	press(m, "tab", "enter") // shopcert's detail: its drift rows
	detail := screen(m)
	served := map[string]string{}
	for _, l := range strings.Split(detail, "\n") {
		for _, name := range []string{"shop", "www"} {
			if i := strings.Index(l, "│ "+name+" "); i >= 0 {
				f := strings.Fields(l[i:])
				for j := range f {
					if f[j] == "serves" && j+1 < len(f) {
						served[name] = f[j+1]
					}
				}
			}
		}
	}
	if served["shop"] == "" || served["www"] == "" {
		t.Fatalf("drift rows not found:\n%s", detail)
	}
	if served["shop"] == served["www"] {
		t.Fatalf("in-sync and drifting endpoints show the same serial %q:\n%s", served["shop"], detail)
	}
}

func TestSerialsThatShareTheirEndGetMoreDigits(t *testing.T) {
	// Serials that differ only near the start: the last 8 digits collide,
	// so the table shows as many as it takes.
	a := "0a" + strings.Repeat("0", 24) + "12345678"
	b := "0b" + strings.Repeat("0", 24) + "12345678"
	m, _ := newTestModel(t, 200, 30, false)
	m.Update(eventsMsg{events: []model.Event{
		obs("api", cert("api.example.com", a, 80*24*time.Hour)),
		obs("www", cert("www.example.com", b, 80*24*time.Hour)),
	}})
	s := screen(m)
	if ca, cb := cellUnder(t, s, "SERIAL", "api"), cellUnder(t, s, "SERIAL", "www"); ca == cb {
		t.Fatalf("serials %s and %s both shown as %q:\n%s", a, b, ca, s)
	}
}

func TestUniqueTails(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   int
	}{
		{"none", nil, minSerialDigits},
		{"random", []string{"0a1b2c3d4e5f6071", "f1e2d3c4b5a69788"}, minSerialDigits},
		{"same value twice", []string{"3218fde1a7c46b2e", "3218fde1a7c46b2e"}, minSerialDigits},
		{"sequential", []string{"3218fde1a7c46b6e", "3218fde1a7c46b6f", "3218fde1a7c46b70"}, minSerialDigits},
		{"same end", []string{"aa1234567812345678", "bb1234567812345678"}, 17},
		// A short serial equal to a long one's tail still looks different:
		// the cut one carries "…".
		{"short and cut", []string{"12345678", "ff12345678"}, minSerialDigits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := uniqueTails(tt.values, minSerialDigits, nil)
			if n != tt.want {
				t.Fatalf("uniqueTails = %d, want %d", n, tt.want)
			}
			labels := map[string]string{}
			for _, v := range tt.values {
				l := serialLabel(v, n)
				if other, dup := labels[l]; dup && other != v {
					t.Fatalf("%s and %s both shown as %s", other, v, l)
				}
				labels[l] = v
			}
		})
	}
}

func TestCopyFlashShowsTheWholeSerial(t *testing.T) {
	m, seq := sequentialModel(t, 120, 40)
	for selectedName(m) != "shop" {
		press(m, "j")
	}
	full := model.SerialHex(seq[1].Cert.SerialNumber)
	cmd := press(m, "c")
	if cmd == nil || fmt.Sprint(cmd()) != full {
		t.Fatalf("c did not copy the full serial %s", full)
	}
	if footer := lastLine(screen(m)); !strings.Contains(footer, full) {
		t.Fatalf("the flash does not show the whole serial %s: %q", full, footer)
	}
}

func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}
