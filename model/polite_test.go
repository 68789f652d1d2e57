package model

import (
	"strings"
	"testing"
	"time"
)

// all_ips, rate_limit and per_ip_concurrency are read from the config and
// checked like every other setting.
func TestConfigReadsAllIPsAndProbingLimits(t *testing.T) {
	cfg := `
defaults: {rate_limit: 50, per_ip_concurrency: 4}
endpoints:
  - {name: lb, address: www.example.com, all_ips: true}
  - {name: one, address: api.example.com}
`
	f, err := ParseFleet([]byte(cfg), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.RateLimit != 50 || f.PerIPConcurrency != 4 {
		t.Errorf("rate_limit %v per_ip_concurrency %d, want 50 and 4", f.RateLimit, f.PerIPConcurrency)
	}
	if !f.Endpoints[0].AllIPs || f.Endpoints[1].AllIPs {
		t.Errorf("all_ips = %v, %v; want only lb's", f.Endpoints[0].AllIPs, f.Endpoints[1].AllIPs)
	}
	for _, bad := range []struct{ cfg, want string }{
		{"defaults:\n  rate_limit: -1\n", "line 2"},
		{"defaults:\n  per_ip_concurrency: -3\n", "line 2"},
	} {
		if _, err := ParseFleet([]byte(bad.cfg), "config.yaml"); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want one on %s", bad.cfg, err, bad.want)
		}
	}
	all, err := ParseFleet([]byte("defaults: {all_ips: true}\nendpoints: [{address: a.example.com}, {address: b.example.com}]\n"), "config.yaml")
	if err != nil || !all.Endpoints[0].AllIPs || !all.Endpoints[1].AllIPs {
		t.Errorf("defaults.all_ips: %v, endpoints %+v; want every endpoint probed at every address", err, all)
	}
	if err := f.ApplyOverrides(Overrides{AllIPs: true, RateLimit: 5, PerIPConcurrency: 1}); err != nil {
		t.Fatal(err)
	}
	if !f.Endpoints[1].AllIPs || f.RateLimit != 5 || f.PerIPConcurrency != 1 {
		t.Errorf("overrides not applied: all_ips %v rate %v per-ip %d", f.Endpoints[1].AllIPs, f.RateLimit, f.PerIPConcurrency)
	}
}

// An endpoint probed at every address is as bad as its worst address, and
// says which address each finding is about.
func TestEndpointWithAddressesIsItsWorstAddress(t *testing.T) {
	good := goodObservation(60 * 24 * time.Hour)
	good.IP = "192.0.2.1"
	old := goodObservation(3 * 24 * time.Hour)
	old.IP = "192.0.2.2"
	down := &Observation{IP: "2001:db8::1", Error: "connection refused", ErrKind: ErrRefused}
	th := Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}
	for _, tc := range []struct {
		addrs []*Observation
		want  Status
		first string
	}{
		{[]*Observation{good}, OK, ""},
		{[]*Observation{good, old}, Crit, "192.0.2.2: expires in"},
		{[]*Observation{old, down, good}, Error, "2001:db8::1: connection refused"},
	} {
		o := *good
		o.Addresses = tc.addrs
		v := ClassifyEndpoint(&o, th, now)
		if v.Status != tc.want || (tc.first != "" && !strings.HasPrefix(v.Reasons[0], tc.first)) {
			t.Errorf("%d addresses: %s %v, want %s starting %q", len(tc.addrs), v.Status, v.Reasons, tc.want, tc.first)
		}
	}
}

// The console shows a backoff while it lasts: from the scheduler's report
// until a probe succeeds.
func TestBackoffLastsUntilAProbeSucceeds(t *testing.T) {
	s := NewState(testFleet("web"))
	fail := &Observation{Endpoint: "web", Time: now, Error: "refused", ErrKind: ErrRefused}
	s.Apply(now, []Event{fail, ProbeBackoff{Endpoint: "web", Failures: 3, Next: now.Add(4 * time.Minute)}})
	es := s.Endpoint("web")
	if !es.Backoff.BackingOff(now) || es.Backoff.Failures != 3 {
		t.Fatalf("backoff = %+v, want 3 failures, backing off", es.Backoff)
	}
	if es.Backoff.BackingOff(now.Add(5 * time.Minute)) {
		t.Error("still backing off after the next try was due")
	}
	s.Apply(now, []Event{fail})
	if es.Backoff.Failures != 3 {
		t.Error("a failure cleared the backoff")
	}
	s.Apply(now, []Event{obs("web", "aa", now, 60*24*time.Hour)})
	if es.Backoff != (BackoffState{}) {
		t.Errorf("backoff = %+v after a success, want none", es.Backoff)
	}
}
