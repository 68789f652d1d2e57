package ui

import (
	"strings"
	"testing"
	"time"

	"certdeck/model"

	tea "charm.land/bubbletea/v2"
)

// detailOf opens the detail pane of one endpoint, under the table of a
// 100x60 terminal (no table text beside it), and returns the screen.
func detailOf(t *testing.T, m *Model, name string) string {
	t.Helper()
	w, h := m.ctx.Width, m.ctx.Height
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 60})
	defer m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	press(m, "g")
	for i := 0; i < 20 && selectedName(m) != name; i++ {
		press(m, "j")
	}
	if selectedName(m) != name {
		t.Fatalf("could not select %s", name)
	}
	press(m, "enter")
	s := screen(m)
	press(m, "esc")
	return s
}

func TestOCSPStatusInTableAndDetail(t *testing.T) {
	m, _ := newTestModel(t, 200, 50, false)
	revokedAt := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	staple := func(o model.OCSPInfo) func(*model.Observation) {
		return func(ob *model.Observation) { ob.OCSP = o }
	}
	m.Update(eventsMsg{events: []model.Event{
		obs("api", cert("api.example.com", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", 80*24*time.Hour), staple(model.OCSPInfo{
			Stapled: true, Status: model.OCSPGood, ThisUpdate: fixedNow.Add(-time.Hour), NextUpdate: fixedNow.Add(6 * 24 * time.Hour)})),
		obs("www", cert("www.example.com", "1b2c3d4e5f60718293a4b5c6d7e8f90a", 61*24*time.Hour), staple(model.OCSPInfo{
			Stapled: true, Status: model.OCSPRevoked, RevokedAt: revokedAt, Reason: "keyCompromise",
			ThisUpdate: fixedNow.Add(-2 * time.Hour), NextUpdate: fixedNow.Add(5 * 24 * time.Hour)})),
		obs("legacy", cert("legacy.example.com", "4e5f60718293a4b5c6d7e8f90a1b2c3d", 45*24*time.Hour), staple(model.OCSPInfo{
			Stapled: true, Error: "response signed by an unknown responder"})),
		obs("mail", cert("mail.example.com", "8293a4b5c6d7e8f90a1b2c3d4e5f6071", 50*24*time.Hour), staple(model.OCSPInfo{
			Stapled: true, Status: model.OCSPGood, ThisUpdate: fixedNow.Add(-9 * 24 * time.Hour), NextUpdate: fixedNow.Add(-2 * 24 * time.Hour)})),
	}})
	s := screen(m)
	for name, want := range map[string]string{"api": "good", "www": "REVOKED", "legacy": "invalid", "mail": "stale", "shop": ""} {
		if got := cellUnder(t, s, "OCSP", name); got != want {
			t.Errorf("OCSP cell of %s: %q, want %q", name, got, want)
		}
	}
	if d := detailOf(t, m, "www"); !strings.Contains(d, "REVOKED 2026-03-01 09:30 UTC (keyCompromise)") ||
		!strings.Contains(d, "updated   2026-03-10 10:00 UTC") || !strings.Contains(d, "next      2026-03-15 12:00 UTC") {
		t.Errorf("revoked staple in the detail pane:\n%s", d)
	}
	if d := detailOf(t, m, "legacy"); !strings.Contains(d, "not trusted: response signed by an unknown responder") {
		t.Errorf("untrusted staple in the detail pane:\n%s", d)
	}
	if d := detailOf(t, m, "mail"); !strings.Contains(d, "passed, the staple is stale") {
		t.Errorf("stale staple in the detail pane:\n%s", d)
	}
	if d := detailOf(t, m, "shop"); !strings.Contains(d, "OCSP        not stapled") {
		t.Errorf("no staple in the detail pane:\n%s", d)
	}
}

func TestOCSPColumnOnlyWhenSomethingIsStapled(t *testing.T) {
	m, _ := newTestModel(t, 200, 30, false)
	if strings.Contains(headingLine(t, m), "OCSP") {
		t.Fatalf("an OCSP column with nothing stapled: %q", headingLine(t, m))
	}
}

func TestClientCertificateRequestsInDetail(t *testing.T) {
	m, _ := newTestModel(t, 120, 50, false)
	with := func(c model.ClientCertInfo) func(*model.Observation) {
		return func(o *model.Observation) { o.ClientCert = c }
	}
	m.Update(eventsMsg{events: []model.Event{
		obs("api", cert("api.example.com", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", 80*24*time.Hour), with(model.ClientCertInfo{Requested: true, Required: true})),
		obs("www", cert("www.example.com", "1b2c3d4e5f60718293a4b5c6d7e8f90a", 61*24*time.Hour), with(model.ClientCertInfo{Requested: true, Sent: true})),
		obs("legacy", cert("legacy.example.com", "4e5f60718293a4b5c6d7e8f90a1b2c3d", 45*24*time.Hour), with(model.ClientCertInfo{Requested: true})),
	}})
	for name, want := range map[string]string{
		"api":    "client cert required; none configured",
		"www":    "client cert requested; the configured client_cert was sent",
		"legacy": "client cert requested (optional); none sent",
		"shop":   "client cert not requested",
	} {
		if d := detailOf(t, m, name); !strings.Contains(strings.Join(strings.Fields(d), " "), want) {
			t.Errorf("%s: detail pane lacks %q:\n%s", name, want, d)
		}
	}
}

func TestTicketKindInColumnAndDetail(t *testing.T) {
	m, _ := newTestModel(t, 160, 50, false)
	kind := func(k model.TicketKind, issued bool) func(*model.Observation) {
		return func(o *model.Observation) {
			o.Ticket = model.TicketInfo{Issued: issued, Kind: k, ResumeChecked: true, Resumed: true}
		}
	}
	m.Update(eventsMsg{events: []model.Event{
		obs("www", cert("www.example.com", "1b2c3d4e5f60718293a4b5c6d7e8f90a", 61*24*time.Hour), kind(model.TicketStateful, true)),
		obs("legacy", cert("legacy.example.com", "4e5f60718293a4b5c6d7e8f90a1b2c3d", 45*24*time.Hour), kind(model.TicketSessionID, false)),
		obs("shop", cert("shop.example.com", "2c3d4e5f60718293a4b5c6d7e8f90a1b", 20*24*time.Hour), kind(model.TicketOpaque, true)),
	}})
	s := screen(m)
	for name, want := range map[string]string{"www": "stateful", "legacy": "session-id", "shop": "opaque", "mail": "none", "api": "…1017c592 5s"} {
		if got := cellUnder(t, s, "TICKET", name); got != want {
			t.Errorf("TICKET cell of %s: %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{
		"www":    "kind stateful:",
		"legacy": "kind session-id:",
		"api":    "kind named:",
	} {
		if d := detailOf(t, m, name); !strings.Contains(strings.Join(strings.Fields(d), " "), want) {
			t.Errorf("%s: detail pane lacks %q:\n%s", name, want, d)
		}
	}
}

func TestOKRowShowsItsNote(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, false)
	// The status rules put a note on an OK verdict (probe and model fill
	// it); the console shows a verdict's first reason on any row.
	note := "requires a client certificate; none configured"
	m.state.Endpoint("www").Verdict = model.Verdict{Status: model.OK, Reasons: []string{note}}
	m.Update(eventsMsg{})
	if row := cellUnder(t, screen(m), "REASON", "www"); !strings.HasPrefix(note, strings.TrimSuffix(row, "…")) || row == "" {
		t.Fatalf("OK row with a note shows %q, want %q", row, note)
	}
}
