package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"certdeck/model"
)

// lbState is one endpoint probed at both addresses of its name, one node
// serving an old certificate about to expire.
func lbState(t *testing.T) *model.State {
	t.Helper()
	f, err := (&model.Config{Endpoints: []model.EndpointConfig{{Name: "lb", Address: "www.example.com", AllIPs: true}}}).Resolve()
	if err != nil {
		t.Fatal(err)
	}
	fresh := good("lb", "f0f0f0f0", now.AddDate(0, 0, 60))
	fresh.IP = "192.0.2.1"
	old := good("lb", "0d0d0d0d", now.AddDate(0, 0, 3))
	old.IP = "192.0.2.2"
	o := *old
	o.Addresses = []*model.Observation{fresh, old}
	s := model.NewState(f)
	s.Apply(now, []model.Event{&o})
	return s
}

// JSON lists each address's own result under the endpoint, whose status
// is its worst address's.
func TestJSONListsEveryAddressOfAnAllIPsEndpoint(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, lbState(t), now); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Endpoints []struct {
			Status    string `json:"status"`
			IP        string `json:"ip"`
			Addresses []struct {
				IP     string `json:"ip"`
				Status string `json:"status"`
				Leaf   struct {
					Serial string `json:"serial"`
				} `json:"leaf"`
			} `json:"addresses"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	e := doc.Endpoints[0]
	if e.Status != "CRIT" || e.IP != "192.0.2.2" || len(e.Addresses) != 2 {
		t.Fatalf("endpoint = %+v, want CRIT at its worst address with both addresses listed", e)
	}
	for i, want := range []struct{ ip, status, serial string }{{"192.0.2.1", "OK", "f0f0f0f0"}, {"192.0.2.2", "CRIT", "0d0d0d0d"}} {
		a := e.Addresses[i]
		if a.IP != want.ip || a.Status != want.status || a.Leaf.Serial != want.serial {
			t.Errorf("address %d = %+v, want %+v", i, a, want)
		}
	}
	var plain bytes.Buffer
	if err := JSON(&plain, fleetState(t), now); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plain.String(), `"addresses": []`) {
		t.Error("an endpoint probed at one address has no empty addresses list: scripts must be able to index it")
	}
}

// The table shows one line per address under the endpoint.
func TestTableShowsOneLinePerAddress(t *testing.T) {
	var buf bytes.Buffer
	if err := Table(&buf, lbState(t), now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want heading, endpoint and two addresses:\n%s", len(lines), buf.String())
	}
	for i, want := range [][]string{{"CRIT", "lb", "192.0.2.2: expires in"}, {"OK", "└ 192.0.2.1", "f0f0f0f0"}, {"CRIT", "└ 192.0.2.2", "0d0d0d0d", "expires in"}} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("line %d %q lacks %q", i+2, lines[i+1], w)
			}
		}
	}
}
