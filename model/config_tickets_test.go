package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const ticketEndpoints = `endpoints:
  - {name: edge-1, address: edge-1.example.com}
  - {name: edge-2, address: edge-2.example.com}
  - {name: edge-3, address: edge-3.example.com}
`

func TestParseFleetReadsTicketKeys(t *testing.T) {
	cfg := ticketEndpoints + `reloads:
  - {name: edge-reload, exec: [nginx, -s, reload]}
ticket_keys:
  - name: edge-tickets
    dir: /etc/nginx/tickets
    format: nginx80
    rotate_every: 12h
    ticket_lifetime: 5m
    serves: [edge-1, edge-2, edge-3]
    reload: edge-reload
  - dir: /run/haproxy/keys
    format: haproxy
`
	f, err := ParseFleet([]byte(cfg), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.TicketKeys) != 2 {
		t.Fatalf("ticket keys %+v", f.TicketKeys)
	}
	edge := f.TicketKeys[0]
	if edge.Name != "edge-tickets" || edge.Format != TicketNginx80 || edge.RotateEvery != 12*time.Hour ||
		edge.TicketLifetime != 5*time.Minute || len(edge.Serves) != 3 || edge.Reload != "edge-reload" {
		t.Errorf("edge = %+v", edge)
	}
	hk := f.TicketKeys[1]
	if hk.Name != "keys" || hk.RotateEvery != DefaultTicketRotateEvery || hk.TicketLifetime != DefaultTicketLifetime {
		t.Errorf("defaults not applied: %+v", hk)
	}
}

func TestParseFleetRefusesBadTicketKeysWithLines(t *testing.T) {
	entry := func(body string) string { return ticketEndpoints + "ticket_keys:\n  - name: t\n    dir: /d\n" + body }
	tests := []struct {
		name, cfg string
		want      []string
	}{
		{"unknown key", entry("    format: nginx80\n    rotate_evry: 1h\n"), []string{"line 9", `unknown key "rotate_evry" in a ticket_keys entry`}},
		{"no format", entry(""), []string{"line 6", "format is required", "never guessed"}},
		{"bad format", entry("    format: nginx64\n"), []string{"line 8", `ticket key format "nginx64": want one of nginx80, nginx48, haproxy, apache48`}},
		{"no dir", ticketEndpoints + "ticket_keys:\n  - name: t\n    format: haproxy\n", []string{"line 6", "dir is required"}},
		{"zero rotate_every", entry("    format: nginx48\n    rotate_every: 0s\n"), []string{"line 9", "rotate_every must be positive"}},
		{"lifetime past rotation", entry("    format: nginx48\n    rotate_every: 1h\n    ticket_lifetime: 2h\n"), []string{"line 10", "ticket_lifetime 2h is longer than rotate_every 1h"}},
		{"unknown endpoint", entry("    format: nginx48\n    serves: [edge-1, edge-9]\n"), []string{"line 9", `serves "edge-9", which is not a configured endpoint`}},
		{"two pools", entry("    format: nginx48\n    serves: [edge-1]\n") + "  - name: u\n    dir: /e\n    format: nginx48\n    serves: [edge-1]\n",
			[]string{"line 13", `endpoint "edge-1" is served by ticket_keys "t" and "u"`}},
		{"unknown reload", entry("    format: nginx48\n    reload: edge-reload\n"), []string{"line 9", `reload "edge-reload" is not a configured reload (none are configured)`}},
		{"duplicate name", entry("    format: nginx48\n") + "  - name: t\n    dir: /e\n    format: haproxy\n", []string{"line 9", `ticket_keys name "t" is used twice (also by ticket_keys 1 on line 6)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFleet([]byte(tt.cfg), "c.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadFleetResolvesKeyDirsAgainstTheConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte("ticket_keys:\n  - {name: t, dir: keys/edge, format: nginx48}\n"), 0o600)
	f, err := LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.TicketKeys[0].Dir; got != filepath.Join(dir, "keys", "edge") {
		t.Fatalf("dir = %s", got)
	}
	// A bundle and a ticket_keys entry may share a name: names are unique
	// per kind.
	if _, err := ParseFleet([]byte(ticketEndpoints+"bundles:\n  - {name: edge, path: /b}\nticket_keys:\n  - {name: edge, dir: /d, format: nginx48}\n"), "c"); err != nil {
		t.Fatal(err)
	}
}
