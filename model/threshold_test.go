package model

import (
	"strings"
	"testing"
	"time"
)

// certLiving is a certificate of the given lifetime with left to go.
func certLiving(lifetime, left time.Duration) *CertInfo {
	return &CertInfo{Serial: "01", NotBefore: now.Add(left - lifetime), NotAfter: now.Add(left)}
}

// The promise of the default thresholds, for every lifetime from one hour
// (test CAs, the demo) through 6 days (ACME short-lived), 45 and 90 days,
// to 398 days (the CA/B maximum):
//   - a healthy certificate, renewed when a third of its life is left, is
//     never flagged: OK at 2/3 and at 1/3 of its life left;
//   - a failed renewal is always flagged while there is time to act: WARN
//     (or worse) with a quarter of the life (at most 30 days) left, CRIT in
//     the last 5% (at most a week), and always in the last day for
//     anything that lives 10 days or more;
//   - the status only gets worse as the certificate ages.
func TestDefaultThresholdsNeverAlarmOnHealthyRenewalsAndAlwaysBeforeOutage(t *testing.T) {
	th := Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}
	status := func(life, left time.Duration) Status { return ClassifyCert(certLiving(life, left), th, now).Status }
	var lifetimes []time.Duration
	for life := time.Hour; life <= 398*24*time.Hour; life = (life * 9 / 8).Truncate(time.Second) {
		lifetimes = append(lifetimes, life)
	}
	lifetimes = append(lifetimes, 6*24*time.Hour, 45*24*time.Hour, 90*24*time.Hour, 398*24*time.Hour)
	for _, life := range lifetimes {
		if s := status(life, life*2/3); s != OK {
			t.Errorf("%s certificate with 2/3 of its life left is %s, want OK", FormatDays(life), s)
		}
		if s := status(life, life/3); s != OK {
			t.Errorf("%s certificate renewed on time (1/3 of its life left) is %s, want OK", FormatDays(life), s)
		}
		// A renewal that failed at 1/3: the alarm must come while at
		// least a quarter of the lifetime (or the 30 days a monthly
		// process needs) is still left, and CRIT before the end.
		warnBy := min(life/4, 30*24*time.Hour-time.Second)
		if s := status(life, warnBy); s < Warn {
			t.Errorf("%s certificate with %s left is %s, want at least WARN", FormatDays(life), FormatDays(warnBy), s)
		}
		critBy := min(life/20, 7*24*time.Hour-time.Second)
		if s := status(life, critBy); s != Crit {
			t.Errorf("%s certificate with %s left is %s, want CRIT", FormatDays(life), FormatDays(critBy), s)
		}
		if life >= 10*24*time.Hour {
			if s := status(life, 24*time.Hour); s != Crit {
				t.Errorf("%s certificate with 24h left is %s, want CRIT", FormatDays(life), s)
			}
		}
		prev := OK
		for left := life; left > 0; left -= life / 200 {
			s := status(life, left)
			if s < prev {
				t.Fatalf("%s certificate: %s left is %s, better than %s a moment earlier", FormatDays(life), FormatDays(left), s, prev)
			}
			prev = s
		}
	}
}

func TestExpiryReasonSaysWhichLimitFiredAndHow(t *testing.T) {
	day := 24 * time.Hour
	th := Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}
	tests := []struct {
		name        string
		life, left  time.Duration
		want        Status
		reasonFound string
	}{
		{"90-day cert by percentage", 90 * day, 5*day + time.Hour, Crit, "expires in 5 days (crit < 7d)"},
		{"90-day cert warn", 90 * day, 20*day + time.Hour, Warn, "expires in 20 days (warn < 33% of its 90-day life = 29d16h)"},
		{"398-day cert warn by duration", 398 * day, 20*day + time.Hour, Warn, "expires in 20 days (warn < 30d)"},
		{"6-day ACME cert", 6 * day, 30 * time.Hour, Warn, "expires in 30 hours (warn < 33% of its 6-day life = 1d23h)"},
		{"11-minute demo cert", 11 * time.Minute, time.Minute, Crit, "expires in 60 seconds (crit < 10% of its 11-minute life = 1m6s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ClassifyCert(certLiving(tt.life, tt.left), th, now)
			if v.Status != tt.want || len(v.Reasons) == 0 || v.Reasons[0] != tt.reasonFound {
				t.Fatalf("%s %q, want %s %q", v.Status, v.Reasons, tt.want, tt.reasonFound)
			}
		})
	}
}

func TestParseThreshold(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want Threshold
		err  string
	}{
		{"30d", Threshold{Duration: 30 * day}, ""},
		{"33%", Threshold{Percent: 33}, ""},
		{"12.5%", Threshold{Percent: 12.5}, ""},
		{"30d or 33%", Threshold{Duration: 30 * day, Percent: 33}, ""},
		{"33% or 30d", Threshold{Duration: 30 * day, Percent: 33}, ""},
		{"0%", Threshold{}, "above 0"},
		{"101%", Threshold{}, "at most 100"},
		{"0s", Threshold{}, "longer than 0"},
		{"30d or 7d", Threshold{}, "two durations"},
		{"soon", Threshold{}, "want a duration"},
		{"36500d1800000h", Threshold{}, "want a duration"},
	}
	for _, tt := range tests {
		got, err := ParseThreshold(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseThreshold(%q) = %v, %v; want an error about %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseThreshold(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if back, err := ParseThreshold(got.String()); err != nil || back != got {
			t.Errorf("%q does not round-trip through String (%q): %+v %v", tt.in, got.String(), back, err)
		}
	}
}

// An overflowing duration used to wrap negative: crit "36500d1800000h"
// became a negative limit, under which nothing ever falls, so an expiring
// certificate read OK.
func TestOverflowingDurationsAreRefused(t *testing.T) {
	for _, in := range []string{"36500d1800000h", "36500d1h", "2562048h"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
	_, err := ParseFleet([]byte("defaults: {warn: 36500d1800000h, crit: 36500d1800000h}\n"), "config.yaml")
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("config with an overflowing threshold: %v", err)
	}
	if d, err := ParseDuration("36500d"); err != nil || d != 36500*24*time.Hour {
		t.Fatalf("the longest duration is refused: %v %v", d, err)
	}
}

func TestThresholdsConfiguredGloballyAndPerItem(t *testing.T) {
	cfg := "defaults: {warn: 25%, crit: 5%}\n" +
		"endpoints:\n  - {name: a, address: 'a:443'}\n  - {name: b, address: 'b:443', warn: 10d or 50%, crit: 2d}\n" +
		"bundles:\n  - {name: c, path: /x, crit: 1%}\n"
	f, err := ParseFleet([]byte(cfg), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Thresholds{
		"a": {Warn: Threshold{Percent: 25}, Crit: Threshold{Percent: 5}},
		"b": {Warn: Threshold{Duration: 10 * 24 * time.Hour, Percent: 50}, Crit: Threshold{Duration: 2 * 24 * time.Hour}},
	}
	for _, e := range f.Endpoints {
		if e.Thresholds != want[e.Name] {
			t.Errorf("endpoint %s thresholds %+v, want %+v", e.Name, e.Thresholds, want[e.Name])
		}
	}
	if got := f.Bundles[0].Thresholds; got != (Thresholds{Warn: Threshold{Percent: 25}, Crit: Threshold{Percent: 1}}) {
		t.Errorf("bundle thresholds %+v", got)
	}
	if _, err := ParseFleet([]byte("defaults: {warn: 10%, crit: 20%}\n"), "config.yaml"); err == nil || !strings.Contains(err.Error(), "crit (20%) must not exceed warn (10%)") {
		t.Errorf("crit above warn in percent: %v", err)
	}
}

func TestOverridesUseTheConfigRules(t *testing.T) {
	f := testFleet("a")
	f.Concurrency, f.Timeout = DefaultConcurrency, DefaultTimeout
	warn, crit := Threshold{Duration: 7 * 24 * time.Hour}, Threshold{Duration: 30 * 24 * time.Hour}
	if err := f.ApplyOverrides(Overrides{Warn: &warn, Crit: &crit}); err == nil || !strings.Contains(err.Error(), "must not exceed") {
		t.Errorf("crit above warn: %v", err)
	}
	if err := f.ApplyOverrides(Overrides{Concurrency: 5000}); err == nil || !strings.Contains(err.Error(), "1-4096") {
		t.Errorf("concurrency 5000: %v", err)
	}
	pct := Threshold{Percent: 20}
	if err := f.ApplyOverrides(Overrides{Warn: &pct, Timeout: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if f.Endpoints[0].Thresholds.Warn != pct || f.Timeout != 2*time.Second {
		t.Errorf("overrides not applied: %+v", f)
	}
}
