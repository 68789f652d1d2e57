package model

import (
	"fmt"
	"time"
)

// Status is the one verdict every endpoint, bundle and ticket key gets.
// The order of the constants is severity: sorting by Status descending puts
// the worst first.
type Status int

const (
	OK      Status = iota
	Unknown        // not checked yet
	Warn
	Crit
	Error // could not check: worst, because nothing is known
)

var statusWords = [...]string{OK: "OK", Unknown: "UNKNOWN", Warn: "WARN", Crit: "CRIT", Error: "ERROR"}

// Glyphs are single-cell characters so columns stay aligned in any
// terminal; with the word beside them status never depends on colour.
var statusGlyphs = [...]string{OK: "✓", Unknown: "?", Warn: "▲", Crit: "✗", Error: "!"}

// String is the status word: OK, WARN, CRIT, ERROR, UNKNOWN.
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusWords) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusWords[s]
}

// Glyph is the one-cell symbol shown beside the word.
func (s Status) Glyph() string {
	if s < 0 || int(s) >= len(statusGlyphs) {
		return "?"
	}
	return statusGlyphs[s]
}

// MarshalText encodes the status as its word (JSON, YAML).
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// AllStatuses lists statuses worst first, for headers and counts.
var AllStatuses = []Status{Error, Crit, Warn, Unknown, OK}

// Worse returns the more severe of two statuses.
func Worse(a, b Status) Status {
	if b > a {
		return b
	}
	return a
}

// Verdict is a status with the reasons that produced it, most severe first.
type Verdict struct {
	Status  Status
	Reasons []string
}

func (v *Verdict) add(s Status, reason string) {
	if s > v.Status {
		// Keep the reason for the worst finding first.
		v.Reasons = append([]string{reason}, v.Reasons...)
		v.Status = s
		return
	}
	v.Reasons = append(v.Reasons, reason)
}

// ClassifyCert applies the expiry rules to one certificate: expired or not
// yet valid is CRIT, less than t.Crit left is CRIT, less than t.Warn left
// is WARN, each limit taken against the certificate's own lifetime (see
// Threshold). The reason says which limit fired and how it was derived.
func ClassifyCert(c *CertInfo, t Thresholds, now time.Time) Verdict {
	v := Verdict{Status: OK}
	left := c.NotAfter.Sub(now)
	life := c.NotAfter.Sub(c.NotBefore)
	switch {
	case now.Before(c.NotBefore):
		v.add(Crit, fmt.Sprintf("not valid until %s", c.NotBefore.Format(time.DateOnly)))
	case left <= 0:
		v.add(Crit, fmt.Sprintf("expired %s (%s)", c.NotAfter.Format(time.DateOnly), daysAgo(-DaysLeft(c.NotAfter, now))))
	case left < t.Crit.Limit(life):
		v.add(Crit, fmt.Sprintf("expires in %s (%s)", formatLeft(left), describeLimit("crit", t.Crit, life)))
	case left < t.Warn.Limit(life):
		v.add(Warn, fmt.Sprintf("expires in %s (%s)", formatLeft(left), describeLimit("warn", t.Warn, life)))
	}
	return v
}

// daysAgo is "today", "1 day ago" or "N days ago".
func daysAgo(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "1 day ago"
	}
	return fmt.Sprintf("%d days ago", n)
}

// ClassifyEndpoint is the status rule for an endpoint's latest observation
// (nil: not probed yet).
func ClassifyEndpoint(o *Observation, t Thresholds, now time.Time) Verdict {
	if o == nil {
		return Verdict{Status: Unknown, Reasons: []string{"not probed yet"}}
	}
	if len(o.Addresses) > 0 {
		v := classifyAddresses(o.Addresses, t, now)
		if n := o.AddressesSkipped; n > 0 {
			what := fmt.Sprintf("%d more addresses of the name were", n)
			if n == 1 {
				what = "1 more address of the name was"
			}
			v.add(Warn, fmt.Sprintf("all_ips: %s not probed (at most %d are)", what, len(o.Addresses)))
		}
		return v
	}
	if o.Error != "" {
		return Verdict{Status: Error, Reasons: []string{o.Error}}
	}
	leaf := o.Leaf()
	if leaf == nil {
		return Verdict{Status: Error, Reasons: []string{"server sent no certificate"}}
	}
	v := ClassifyCert(leaf, t, now)
	if !o.Verified {
		reason := "chain does not verify"
		if o.VerifyError != "" {
			reason += ": " + o.VerifyError
		}
		v.add(Crit, reason)
	}
	if len(o.AlsoServes) > 0 {
		// With two certificates, "expired" must say which one.
		labelReasons(&v, leaf)
	}
	for _, p := range o.ChainProblems {
		v.add(Warn, "chain order: "+p)
	}
	classifyTLS(&v, o) // host name, OCSP staple, client certificates: status_tls.go
	classifyAlsoServes(&v, o, t, now)
	return v
}
