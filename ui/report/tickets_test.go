package report

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/rotate"
)

// ticketState is a pool of two endpoints on one nginx80 key dir read at
// now (tmpfs, keys an hour old); edge-2 encrypts with a key not in it.
func ticketState(t *testing.T, now time.Time) (*model.State, string) {
	t.Helper()
	s, cur, _ := ticketStateAged(t, now, time.Hour)
	return s, cur
}

// ticketStateAged is ticketState with keys age old, and the dir's facts.
func ticketStateAged(t *testing.T, now time.Time, age time.Duration) (*model.State, string, model.TicketDirFacts) {
	t.Helper()
	f, err := model.ParseFleet([]byte(`endpoints:
  - {name: edge-1, address: 127.0.0.1:1}
  - {name: edge-2, address: 127.0.0.1:2}
ticket_keys:
  - {name: edge-tickets, dir: /run/t, format: nginx80, rotate_every: 12h, serves: [edge-1, edge-2]}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := model.TicketDirRead{Dir: "/run/t", Format: model.TicketNginx80, At: now, FSMagic: 0x01021994, FSKnown: true}
	var cur string
	for i, role := range model.TicketRoles {
		raw := bytes.Repeat([]byte{byte(i + 1)}, 80)
		if role == model.RoleCurrent {
			cur = hex.EncodeToString(raw[:16])
		}
		r.Files = append(r.Files, model.TicketFileRead{Name: model.TicketKeyFile(role), Mode: 0o600, ModTime: now.Add(-age), Data: raw})
	}
	_, facts := model.InspectTicketDir(r)
	leaf := model.CertInfo{Serial: "01", NotBefore: now.Add(-time.Hour), NotAfter: now.Add(60 * 24 * time.Hour)}
	named := func(ep, key string) *model.Observation {
		return &model.Observation{Endpoint: ep, Time: now, Verified: true, HostnameOK: true, Chain: []model.CertInfo{leaf},
			Ticket: model.TicketInfo{Issued: true, Kind: model.TicketNamed, KeyName: key}}
	}
	s := model.NewState(f)
	s.Apply(now, []model.Event{&model.TicketDirSnapshot{Name: "edge-tickets", Facts: facts},
		named("edge-1", cur), named("edge-2", strings.Repeat("ee", 16))})
	return s, cur, facts
}

func TestCheckReportsTicketKeys(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, cur := ticketState(t, now)
	var table bytes.Buffer
	if err := Table(&table, s, now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := table.String()
	for _, want := range []string{"STATUS  TICKET KEYS", "WARN    edge-tickets  nginx80  " + model.ShortKeyName(cur) + "  1h   1/2   edge-2 encrypts with a key not in edge-tickets"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	var js bytes.Buffer
	if err := JSON(&js, s, now); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TicketKeys []struct {
			Name, Status, Encrypts string
			PoolInSync             int `json:"pool_in_sync"`
			Pool                   []struct{ Endpoint, Role string }
			Keys                   []struct{ Role, Name string }
		} `json:"ticket_keys"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || len(doc.TicketKeys) != 1 {
		t.Fatalf("json: %v\n%s", err, js.String())
	}
	tk := doc.TicketKeys[0]
	if tk.Status != "WARN" || tk.Encrypts != cur || tk.PoolInSync != 1 || len(tk.Keys) != 3 || tk.Pool[0].Role != "current" || tk.Pool[1].Role != "" {
		t.Fatalf("ticket_keys = %+v", tk)
	}
	// The secret halves (bytes 16-80 of each key) appear nowhere.
	for i := range 3 {
		if secret := hex.EncodeToString(bytes.Repeat([]byte{byte(i + 1)}, 20)); strings.Contains(out+js.String(), secret) {
			t.Fatal("a report carries key bytes")
		}
	}
}

// TestCheckAndTicketsShowAgreeOnKeyAge: check's AGE column and tickets
// show's say one key's age alike, in seconds under a minute (a key 17 s
// old is not "0s").
func TestCheckAndTicketsShowAgreeOnKeyAge(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		age  time.Duration
		want string
	}{
		{17 * time.Second, "17s"},
		{59*time.Second + 900*time.Millisecond, "59s"},
		{time.Hour, "1h"},
		{3*time.Hour + 20*time.Minute + 17*time.Second, "3h20m"},
		{53*time.Hour + 7*time.Second, "2d5h"},
	} {
		s, cur, facts := ticketStateAged(t, now, tc.age)
		var table bytes.Buffer
		if err := Table(&table, s, now, TableOptions{}); err != nil {
			t.Fatal(err)
		}
		if row := "edge-tickets  nginx80  " + model.ShortKeyName(cur) + "  " + tc.want + " "; !strings.Contains(table.String(), row) {
			t.Errorf("key %v old: check's table lacks %q:\n%s", tc.age, row, table.String())
		}
		var show bytes.Buffer
		if err := rotate.WriteTicketDir(&show, rotate.NewTicketDirReport(facts, 0, now), now, false); err != nil {
			t.Fatal(err)
		}
		if row := regexp.MustCompile(`(?m)^current\s+` + cur + `\s+\S+ \S+( \(mtime\))?\s+` + regexp.QuoteMeta(tc.want) + `\s`); !row.MatchString(show.String()) {
			t.Errorf("key %v old: tickets show does not say %s:\n%s", tc.age, tc.want, show.String())
		}
	}
}
