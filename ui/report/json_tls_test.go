package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"certdeck/model"
)

// The endpoint JSON carries the stapled OCSP response, the client
// certificate exchange and the ticket kind, and says null, not false,
// when resumption was not checked.
func TestJSONCarriesOCSPClientCertificateAndTicketKind(t *testing.T) {
	s := fleetState(t)
	revoked := good("web-ok", "08d27b4c1f2e3d4c", now.AddDate(0, 0, 80))
	revoked.OCSP = model.OCSPInfo{Stapled: true, Status: model.OCSPRevoked, ThisUpdate: now.Add(-time.Hour),
		NextUpdate: now.Add(23 * time.Hour), RevokedAt: now.Add(-48 * time.Hour), Reason: "keyCompromise"}
	revoked.Ticket = model.TicketInfo{Issued: true, Kind: model.TicketStateful}
	mtls := good("web-warn", "7f00aa01", now.AddDate(0, 0, 20))
	mtls.ClientCert = model.ClientCertInfo{Requested: true, Required: true}
	mtls.Ticket = model.TicketInfo{Kind: model.TicketSessionID, ResumeChecked: true, Resumed: false}
	s.Apply(now, []model.Event{revoked, mtls})

	var buf bytes.Buffer
	if err := JSON(&buf, s, now); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Endpoints []struct {
			Name   string         `json:"name"`
			Status string         `json:"status"`
			OCSP   map[string]any `json:"ocsp"`
			Client map[string]any `json:"client_cert"`
			Ticket map[string]any `json:"ticket"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	byName := map[string]int{}
	for i, e := range doc.Endpoints {
		byName[e.Name] = i
		for _, k := range []string{"stapled", "status", "this_update", "next_update", "revoked_at", "reason", "error"} {
			if _, ok := e.OCSP[k]; !ok {
				t.Errorf("%s: ocsp lacks %q", e.Name, k)
			}
		}
		for _, k := range []string{"requested", "required", "sent"} {
			if _, ok := e.Client[k]; !ok {
				t.Errorf("%s: client_cert lacks %q", e.Name, k)
			}
		}
		if _, ok := e.Ticket["kind"]; !ok {
			t.Errorf("%s: ticket lacks kind", e.Name)
		}
	}
	ok := doc.Endpoints[byName["web-ok"]]
	want := map[string]any{"stapled": true, "status": "revoked", "this_update": "2026-03-01T11:00:00Z",
		"next_update": "2026-03-02T11:00:00Z", "revoked_at": "2026-02-27T12:00:00Z", "reason": "keyCompromise", "error": ""}
	for k, v := range want {
		if ok.OCSP[k] != v {
			t.Errorf("ocsp.%s = %v, want %v", k, ok.OCSP[k], v)
		}
	}
	if ok.Status != "CRIT" || ok.Ticket["kind"] != "stateful" || ok.Ticket["resumed"] != nil || ok.Ticket["opaque"] != false {
		t.Errorf("web-ok = status %s ticket %v, want CRIT, stateful, resumed null (not checked)", ok.Status, ok.Ticket)
	}
	warn := doc.Endpoints[byName["web-warn"]]
	if warn.Client["requested"] != true || warn.Client["required"] != true || warn.Client["sent"] != false {
		t.Errorf("client_cert = %v, want requested and required, none sent", warn.Client)
	}
	if warn.Ticket["kind"] != "session-id" || warn.Ticket["resumed"] != false {
		t.Errorf("ticket = %v, want session-id, checked and not resumed (false)", warn.Ticket)
	}
	unprobed := doc.Endpoints[byName["new"]]
	if unprobed.OCSP["this_update"] != nil || unprobed.OCSP["stapled"] != false {
		t.Errorf("unprobed ocsp = %v, want not stapled, null times", unprobed.OCSP)
	}
}
