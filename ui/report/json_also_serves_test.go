package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"certdeck/model"
)

// A dual RSA+ECDSA server's other certificate is in the JSON, judged into
// the endpoint's status: scripts see the ECDSA leaf most clients get.
func TestJSONCarriesTheOtherKeyTypesCertificate(t *testing.T) {
	s := fleetState(t)
	dual := good("web-ok", "08d27b4c1f2e3d4c", now.AddDate(0, 0, 80))
	ecdsa := good("web-ok", "0e0e", now.AddDate(0, 0, -2)).Chain
	ecdsa[0].Key = "ECDSA P-256"
	dual.AlsoServes = []model.ServedCert{{Chain: ecdsa, Verified: true, HostnameOK: true}}
	s.Apply(now, []model.Event{dual})
	var buf bytes.Buffer
	if err := JSON(&buf, s, now); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Endpoints []struct {
			Name       string `json:"name"`
			Status     string `json:"status"`
			AlsoServes []struct {
				Leaf *struct {
					Serial string `json:"serial"`
					Key    string `json:"key"`
				} `json:"leaf"`
				Verified bool `json:"verified"`
			} `json:"also_serves"`
			OtherKeyUnchecked *string `json:"other_key_unchecked"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	for _, e := range doc.Endpoints {
		if e.AlsoServes == nil || e.OtherKeyUnchecked == nil {
			t.Errorf("%s: also_serves or other_key_unchecked missing (want [] and \"\")", e.Name)
		}
		if e.Name != "web-ok" {
			continue
		}
		if len(e.AlsoServes) != 1 || e.AlsoServes[0].Leaf == nil || e.AlsoServes[0].Leaf.Serial != "0e0e" || e.AlsoServes[0].Leaf.Key != "ECDSA P-256" {
			t.Fatalf("web-ok also_serves = %+v", e.AlsoServes)
		}
		if e.Status != "CRIT" {
			t.Errorf("web-ok also serves an expired ECDSA certificate: status %s, want CRIT", e.Status)
		}
	}
}
