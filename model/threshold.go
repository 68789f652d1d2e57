package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Threshold is one expiry limit ("WARN when less than this is left"): a
// duration, a percentage of the certificate's own lifetime (NotBefore to
// NotAfter), or both, in which case the shorter of the two applies.
//
// A fixed "30 days" alarms forever on a 6-day ACME certificate, and a bare
// percentage alarms a year early on a 398-day one; "30d or 33%" does
// neither: it never fires on a certificate renewed when a third of its life
// is left (33% < 1/3), and always fires before it runs out.
type Threshold struct {
	Duration time.Duration // 0: no fixed limit
	Percent  float64       // of the lifetime, 0 < Percent ≤ 100; 0: none
}

// Default expiry thresholds: WARN when less than 30 days or 33% of the
// lifetime is left, CRIT under 7 days or 10%, whichever is shorter.
var (
	DefaultWarn = Threshold{Duration: 30 * 24 * time.Hour, Percent: 33}
	DefaultCrit = Threshold{Duration: 7 * 24 * time.Hour, Percent: 10}
)

// Limit is the time left under which the threshold fires for a certificate
// that lives lifetime. It is 0 for an empty threshold (never fires), and
// a percentage of a zero or negative lifetime counts as 0.
func (t Threshold) Limit(lifetime time.Duration) time.Duration {
	limit, set := time.Duration(0), false
	if t.Duration > 0 {
		limit, set = t.Duration, true
	}
	if t.Percent > 0 {
		p := time.Duration(math.Round(float64(max(lifetime, 0)) * t.Percent / 100))
		if !set || p < limit {
			limit = p
		}
	}
	return limit
}

// bindsByPercent reports whether the percentage, not the duration, gives
// Limit(lifetime): the reason text then says how the limit was derived.
func (t Threshold) bindsByPercent(lifetime time.Duration) bool {
	if t.Percent <= 0 {
		return false
	}
	return t.Duration <= 0 || t.Limit(lifetime) < t.Duration
}

// IsZero reports an empty threshold.
func (t Threshold) IsZero() bool { return t.Duration <= 0 && t.Percent <= 0 }

// String writes the threshold as the config takes it: "30d", "33%",
// "30d or 33%".
func (t Threshold) String() string {
	var parts []string
	if t.Duration > 0 {
		parts = append(parts, FormatDays(t.Duration))
	}
	if t.Percent > 0 {
		parts = append(parts, strconv.FormatFloat(t.Percent, 'f', -1, 64)+"%")
	}
	if len(parts) == 0 {
		return "0s"
	}
	return strings.Join(parts, " or ")
}

// ParseThreshold reads "30d", "12h", "33%", or both joined by "or"
// ("30d or 33%": whichever is shorter for the certificate at hand).
func ParseThreshold(s string) (Threshold, error) {
	var t Threshold
	parts := strings.Split(s, " or ")
	if len(parts) > 2 {
		return t, fmt.Errorf("invalid threshold %q: at most one duration and one percentage (e.g. 30d or 33%%)", s)
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if num, ok := strings.CutSuffix(p, "%"); ok {
			if t.Percent != 0 {
				return Threshold{}, fmt.Errorf("invalid threshold %q: two percentages", s)
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || math.IsNaN(v) || v <= 0 || v > 100 {
				return Threshold{}, fmt.Errorf("invalid threshold %q: a percentage of the lifetime is above 0 and at most 100 (e.g. 33%%)", s)
			}
			t.Percent = v
			continue
		}
		if t.Duration != 0 {
			return Threshold{}, fmt.Errorf("invalid threshold %q: two durations", s)
		}
		d, err := ParseDuration(p)
		if err != nil {
			return Threshold{}, fmt.Errorf("invalid threshold %q: want a duration (30d, 12h) or a percentage of the lifetime (33%%)", s)
		}
		if d == 0 {
			return Threshold{}, fmt.Errorf("invalid threshold %q: must be longer than 0", s)
		}
		t.Duration = d
	}
	return t, nil
}

// UnmarshalYAML reads a threshold scalar: `warn: 21d`, `warn: 33%`,
// `warn: 30d or 33%`.
func (t *Threshold) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a threshold must be a duration (30d) or a percentage of the lifetime (33%%)", n.Line)
	}
	v, err := ParseThreshold(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*t = v
	return nil
}

// Validate checks that crit does not fire before warn where the two can be
// compared (both durations, or both percentages). It is the one rule for
// the config's defaults, every item and `check --warn/--crit`.
func (t Thresholds) Validate() error {
	if t.Crit.Duration > 0 && t.Warn.Duration > 0 && t.Crit.Duration > t.Warn.Duration ||
		t.Crit.Percent > 0 && t.Warn.Percent > 0 && t.Crit.Percent > t.Warn.Percent {
		return fmt.Errorf("crit (%s) must not exceed warn (%s)", t.Crit, t.Warn)
	}
	return nil
}

// describeLimit says how the limit that fired was derived, for a reason:
// "warn < 30d", or "warn < 33% of its 90-day life = 29d16h".
func describeLimit(word string, t Threshold, lifetime time.Duration) string {
	limit := t.Limit(lifetime)
	if t.bindsByPercent(lifetime) {
		return fmt.Sprintf("%s < %s%% of its %s life = %s", word,
			strconv.FormatFloat(t.Percent, 'f', -1, 64), formatLifetime(lifetime), formatLimit(limit))
	}
	return fmt.Sprintf("%s < %s", word, FormatDays(limit))
}

// formatLifetime is a lifetime as one rounded unit: "90-day", "36-hour",
// "11-minute".
func formatLifetime(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d-day", int64(math.Round(d.Hours()/24)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d-hour", int64(math.Round(d.Hours())))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d-minute", int64(math.Round(d.Minutes())))
	}
	return fmt.Sprintf("%d-second", int64(math.Round(d.Seconds())))
}

// formatLimit rounds a derived limit to what a reader needs: hours when it
// is days long, minutes when hours, seconds below.
func formatLimit(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		d = d.Truncate(time.Hour)
	case d >= time.Hour:
		d = d.Truncate(time.Minute)
	default:
		d = d.Truncate(time.Second)
	}
	return FormatDays(d)
}

// formatLeft is time left in the unit that keeps it readable: "5 days",
// "20 hours", "3 minutes" (never "0 days" for a certificate with hours left).
func formatLeft(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int64(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int64(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int64(d/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int64(d/time.Second))
}
