package ui

import (
	"fmt"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// fixedNow is the clock of every golden screen.
var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// fakeProber records triggers and reports a fixed next round.
type fakeProber struct {
	next      time.Time
	triggered [][]string
}

func (p *fakeProber) Trigger(names ...string) { p.triggered = append(p.triggered, names) }
func (p *fakeProber) NextRound() time.Time    { return p.next }

// testFleet is a fleet covering every status the console must show.
func testFleet(t testing.TB) *model.Fleet {
	t.Helper()
	cfg := &model.Config{Name: "staging", Defaults: model.DefaultsConfig{}}
	add := func(name, addr, sni, group string) {
		cfg.Endpoints = append(cfg.Endpoints, model.EndpointConfig{Name: name, Address: addr, SNI: sni, Group: group})
	}
	add("api", "10.0.0.1:443", "api.example.com", "web")
	add("www", "10.0.0.2:443", "www.example.com", "web")
	add("shop", "10.0.0.3:443", "shop.example.com", "web")
	add("billing", "10.0.0.4:8443", "billing.example.com", "pay")
	add("legacy", "10.0.0.5:443", "legacy.example.com", "pay")
	add("old-vpn", "10.0.0.6:443", "vpn.example.com", "edge")
	add("selfsigned", "10.0.0.7:443", "intranet.example.com", "edge")
	add("wronghost", "10.0.0.8:443", "wrong.example.com", "edge")
	add("stall", "10.0.0.9:443", "stall.example.com", "edge")
	add("mail", "smtp://10.0.0.10:25", "mail.example.com", "mail")
	add("pending", "10.0.0.11:443", "pending.example.com", "web")
	f, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	f.Source = "/etc/certdeck/config.yaml"
	return f
}

// cert builds a CertInfo with fixed fields, so golden screens are stable.
func cert(cn string, serial string, left time.Duration) model.CertInfo {
	return model.CertInfo{
		Subject: "CN=" + cn, SubjectCN: cn, SANs: []string{cn, "alt." + cn},
		Issuer: "CN=Example Issuing CA 1,O=Example", IssuerCN: "Example Issuing CA 1",
		Serial: serial, NotBefore: fixedNow.Add(-60 * 24 * time.Hour), NotAfter: fixedNow.Add(left),
		Key: "ECDSA P-256", SigAlg: "ECDSA-SHA256",
		SHA256: fmt.Sprintf("%064x", len(cn)*7919+len(serial)),
	}
}

func intermediate() model.CertInfo {
	c := cert("Example Issuing CA 1", "0f00000000000000000000000000000001", 900*24*time.Hour)
	c.Subject, c.Issuer, c.IssuerCN, c.IsCA, c.SANs = "CN=Example Issuing CA 1,O=Example", "CN=Example Root,O=Example", "Example Root", true, nil
	return c
}

// obs is a successful observation serving leaf.
func obs(name string, leaf model.CertInfo, mut ...func(*model.Observation)) *model.Observation {
	o := &model.Observation{
		Endpoint: name, Time: fixedNow.Add(-5 * time.Second), Latency: 12 * time.Millisecond,
		IP: "10.0.0.1", TLSVersion: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ALPN: "h2",
		Chain: []model.CertInfo{leaf, intermediate()}, Verified: true, HostnameOK: true,
		Ticket: model.TicketInfo{Issued: true, Opaque: true, ResumeChecked: true, Resumed: true},
	}
	for _, f := range mut {
		f(o)
	}
	return o
}

func failed(name string, kind model.ErrorKind, msg string) *model.Observation {
	return &model.Observation{Endpoint: name, Time: fixedNow.Add(-5 * time.Second), Error: msg, ErrKind: kind}
}

// testEvents is one probe round over testFleet; "pending" stays in flight.
func testEvents() []model.Event {
	day := 24 * time.Hour
	named := func(key string) func(*model.Observation) {
		return func(o *model.Observation) {
			o.Ticket = model.TicketInfo{Issued: true, KeyName: key, ResumeChecked: true, Resumed: true}
		}
	}
	return []model.Event{
		obs("api", cert("api.example.com", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", 80*day), named("5d41402abc4b2a76b9719d911017c592")),
		obs("www", cert("www.example.com", "1b2c3d4e5f60718293a4b5c6d7e8f90a", 61*day)),
		obs("shop", cert("shop.example.com", "2c3d4e5f60718293a4b5c6d7e8f90a1b", 20*day)),
		obs("billing", cert("billing.example.com", "3d4e5f60718293a4b5c6d7e8f90a1b2c", 3*day)),
		obs("legacy", cert("legacy.example.com", "4e5f60718293a4b5c6d7e8f90a1b2c3d", 45*day)),
		obs("old-vpn", cert("vpn.example.com", "5f60718293a4b5c6d7e8f90a1b2c3d4e", -2*day)),
		obs("selfsigned", cert("intranet.example.com", "60718293a4b5c6d7e8f90a1b2c3d4e5f", 300*day), func(o *model.Observation) {
			o.Verified, o.VerifyError = false, "x509: certificate signed by unknown authority"
		}),
		obs("wronghost", cert("other.example.com", "718293a4b5c6d7e8f90a1b2c3d4e5f60", 70*day), func(o *model.Observation) { o.HostnameOK = false }),
		failed("stall", model.ErrTimeout, "handshake: i/o timeout after 5s"),
		obs("mail", cert("mail.example.com", "8293a4b5c6d7e8f90a1b2c3d4e5f6071", 50*day), func(o *model.Observation) {
			o.ALPN, o.Ticket = "", model.TicketInfo{}
		}),
		model.ProbeStarted{Endpoint: "pending", Time: fixedNow},
	}
}

// newTestModel is the console over testFleet after one round, sized w x h,
// with the ansi theme and a fixed clock.
func newTestModel(t testing.TB, w, h int, readOnly bool) (*Model, *fakeProber) {
	t.Helper()
	theme, _ := themes.Builtin(themes.ANSI)
	p := &fakeProber{next: fixedNow.Add(55 * time.Second)}
	m := New(Options{Fleet: testFleet(t), Prober: p, Theme: theme, ThemeDecided: true, ReadOnly: readOnly,
		Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(eventsMsg{events: testEvents()})
	return m, p
}

// screen is the plain text of the current view.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }

// press sends key presses by name: "j", "enter", "esc", "ctrl+c".
func press(m *Model, keys ...string) tea.Cmd {
	var last tea.Cmd
	for _, k := range keys {
		_, last = m.Update(keyMsg(k))
	}
	return last
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+d":
		return tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	if r >= 'A' && r <= 'Z' {
		return tea.KeyPressMsg{Code: r + ('a' - 'A'), ShiftedCode: r, Mod: tea.ModShift, Text: k}
	}
	return tea.KeyPressMsg{Code: r, Text: k}
}

// names is the table's rows in display order (test access).
func (t *table[T]) names() []string {
	out := make([]string, len(t.rows))
	for i, r := range t.rows {
		out[i] = r.rank.Name
	}
	return out
}

// rowNames is the active tab's rows in display order.
func rowNames(m *Model) []string {
	return m.section().(interface{ names() []string }).names()
}

// selectedName names the item under the active tab's cursor ("" when none).
func selectedName(m *Model) string {
	switch it := m.section().Selection().(type) {
	case *model.EndpointState:
		return it.Endpoint.Name
	case *model.BundleState:
		return it.Bundle.Name
	}
	return ""
}
