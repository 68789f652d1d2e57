package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration that also accepts whole days ("30d", "1d12h"),
// because certificate lifetimes are thought of in days.
type Duration time.Duration

// maxDays bounds every duration certdeck takes: a hundred years is more
// than any certificate lives, and far below time.Duration's ~292 years, so
// no sum of parts can wrap around to a negative (an overflowed "crit"
// would turn every CRIT into OK).
const maxDays = 100 * 365

// ParseDuration parses a Go duration with an optional leading day count:
// "90d", "7d12h", "60s", "1h30m". Negative durations, and durations longer
// than 36500 days, are refused: every duration in the config is a length
// of time.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || n > maxDays {
			return 0, fmt.Errorf("invalid duration %q: day count must be a whole number from 0 to %d", orig, maxDays)
		}
		days, s = n, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		if rest, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("invalid duration %q (use e.g. 30d, 12h, 90s)", orig)
		}
	}
	if rest < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", orig)
	}
	const limit = maxDays * 24 * time.Hour
	if whole := time.Duration(days) * 24 * time.Hour; rest > limit-whole {
		return 0, fmt.Errorf("invalid duration %q: longer than %d days", orig, maxDays)
	}
	return time.Duration(days)*24*time.Hour + rest, nil
}

// UnmarshalYAML reads a duration scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be a string like 30d or 60s", n.Line)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// FormatDays renders a duration in the unit operators use for lifetimes:
// "30d", "7d12h", "45s", "3h20m" (no trailing zero units).
func FormatDays(d time.Duration) string {
	// Duration.String writes "1h0m0s"; drop the zero minutes and seconds
	// (but not the 0 of "10s").
	trim := func(s string) string {
		if strings.HasSuffix(s, "m0s") {
			s = s[:len(s)-2]
		}
		if strings.HasSuffix(s, "h0m") {
			s = s[:len(s)-2]
		}
		return s
	}
	if d >= 24*time.Hour {
		days := d / (24 * time.Hour)
		rest := d - days*24*time.Hour
		if rest == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%s", days, trim(rest.String()))
	}
	return trim(d.String())
}

// FormatAge is how long a ticket key has held its role, as check's table
// and tickets show print it: seconds under a minute ("17s"), then
// FormatDays to the minute ("59m", "3h20m", "2d5h").
func FormatAge(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", max(d, 0)/time.Second)
	}
	return FormatDays(d.Truncate(time.Minute))
}
