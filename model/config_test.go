package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFleetAppliesDefaultsAndOverrides(t *testing.T) {
	cfg := `
name: prod
defaults: {interval: 30s, timeout: 2s, concurrency: 8, warn: 21d, crit: 3d}
endpoints:
  - name: web-1
    address: example.com
    group: edge
  - name: mail
    address: smtp://mx.example.com
    warn: 45d
  - name: v6
    address: "[2001:db8::1]:8443"
    sni: api.example.com
`
	f, err := ParseFleet([]byte(cfg), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "prod" || f.Interval != 30*time.Second || f.Timeout != 2*time.Second || f.Concurrency != 8 {
		t.Fatalf("defaults not applied: %+v", f)
	}
	web := f.Endpoints[0]
	if web.Target.Addr() != "example.com:443" || web.SNI != "example.com" || web.Group != "edge" {
		t.Errorf("web-1 = %+v", web)
	}
	if web.Thresholds != (Thresholds{Warn: 21 * 24 * time.Hour, Crit: 3 * 24 * time.Hour}) {
		t.Errorf("web-1 thresholds = %+v, want the defaults", web.Thresholds)
	}
	mail := f.Endpoints[1]
	if mail.Target.Protocol != ProtoSMTP || mail.Target.Port != "25" || mail.Thresholds.Warn != 45*24*time.Hour {
		t.Errorf("mail = %+v", mail)
	}
	v6 := f.Endpoints[2]
	if v6.Target.Host != "2001:db8::1" || v6.Target.Port != "8443" || v6.SNI != "api.example.com" {
		t.Errorf("v6 = %+v", v6)
	}
}

func TestParseFleetRejectsWithKeyAndLine(t *testing.T) {
	tests := []struct {
		name, cfg string
		want      []string // every fragment must appear in the error
	}{
		{"unknown endpoint key", "endpoints:\n  - name: a\n    adress: x:443\n", []string{"config.yaml", "line 3", `"adress"`, "endpoint"}},
		{"unknown top key", "endpoint:\n  - name: a\n", []string{"line 1", `"endpoint"`, "top level"}},
		{"unknown defaults key", "defaults:\n  intervall: 5s\n", []string{"line 2", `"intervall"`, "defaults"}},
		{"bad duration", "defaults:\n  warn: soon\n", []string{"line 2", `"soon"`}},
		{"duplicate name", "endpoints:\n  - {name: a, address: x:1}\n  - {name: a, address: y:1}\n", []string{`"a"`, "twice"}},
		{"missing address", "endpoints:\n  - {name: a}\n", []string{"endpoint 1 (a)", "address is required"}},
		{"bad scheme", "endpoints:\n  - {address: 'gopher://x'}\n", []string{"unknown scheme"}},
		{"bad port", "endpoints:\n  - {address: 'x:99999'}\n", []string{"port must be 1-65535"}},
		{"crit above warn", "defaults: {warn: 5d, crit: 10d}\n", []string{"crit (10d) must not exceed warn (5d)"}},
		{"serves unknown endpoint", "bundles:\n  - {name: b, path: /x, serves: [nope]}\n", []string{`serves "nope"`}},
		{"bad layout", "bundles:\n  - {path: /x, layout: zip}\n", []string{`layout "zip"`}},
		{"mTLS half", "endpoints:\n  - {address: 'x:1', client_cert: c.pem}\n", []string{"client_cert and client_key go together"}},
		{"future version", "version: 2\n", []string{"version 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFleet([]byte(tt.cfg), "config.yaml")
			if err == nil {
				t.Fatal("accepted an invalid config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadFleetResolvesPathsRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte("endpoints:\n  - {address: 'a:443', ca: ca.pem}\nbundles:\n  - {path: /etc/b, ca: /abs/ca.pem}\n"), 0o644)
	f, err := LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Endpoints[0].CAFile; got != filepath.Join(dir, "ca.pem") {
		t.Errorf("relative ca resolved to %q", got)
	}
	if got := f.Bundles[0].CAFile; got != "/abs/ca.pem" {
		t.Errorf("absolute ca changed to %q", got)
	}
	if f.Source != path {
		t.Errorf("source = %q", f.Source)
	}
}

func TestConfigPathPrecedence(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("CERTDECK_CONFIG", "")
	if p, explicit := ConfigPath(""); p != "/xdg/certdeck/config.yaml" || explicit {
		t.Errorf("default = %q %v", p, explicit)
	}
	t.Setenv("CERTDECK_CONFIG", "/env.yaml")
	if p, explicit := ConfigPath(""); p != "/env.yaml" || !explicit {
		t.Errorf("env = %q %v", p, explicit)
	}
	if p, explicit := ConfigPath("/flag.yaml"); p != "/flag.yaml" || !explicit {
		t.Errorf("flag = %q %v", p, explicit)
	}
}

func TestFleetFromTargetsDeduplicates(t *testing.T) {
	f, err := FleetFromTargets([]string{"a.test", "a.test:443", "imap://b.test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Endpoints) != 2 || f.Endpoints[1].Target.Port != "143" {
		t.Fatalf("endpoints = %+v", f.Endpoints)
	}
	if f.Thresholds.Warn != DefaultWarn || f.Concurrency != DefaultConcurrency {
		t.Errorf("defaults missing: %+v", f)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"30d", 30 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"90s", 90 * time.Second, false},
		{"0d", 0, false},
		{"-5s", 0, true},
		{"d", 0, true},
		{"3x", 0, true},
		{"", 0, true},
		{"999999d", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParseFleet(f *testing.F) {
	f.Add([]byte("endpoints:\n  - {name: a, address: 'smtp://[::1]:25', warn: 3d}\n"))
	f.Add([]byte("defaults: {interval: 1d2h}\nbundles: [{path: /x, serves: []}]\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fleet, err := ParseFleet(data, "fuzz.yaml")
		if err != nil {
			return
		}
		// Whatever is accepted must be usable: unique names, parsed targets.
		seen := map[string]bool{}
		for _, e := range fleet.Endpoints {
			if seen[e.Name] || e.Target.Host == "" || e.Target.Port == "" {
				t.Fatalf("accepted unusable endpoint %+v", e)
			}
			seen[e.Name] = true
		}
	})
}
