package model

import (
	"cmp"
	"strings"
	"time"
)

// Rank is what the worst-first order compares, computed once per row: a
// console re-sorting thousands of rows after each batch does no date
// arithmetic inside the comparisons.
type Rank struct {
	Status Status
	// HasCert is false when no certificate is known (never probed, probe
	// failing, bundle unreadable): such rows go last within their status.
	HasCert bool
	Days    int // days left on the certificate, when HasCert
	Name    string
}

// CompareWorstFirst is the one default order of endpoints, bundles and
// console rows, as on-call reads them: status worst first, then fewest
// days left (nothing known last), then name. It returns a negative number
// when a comes first, as slices.SortFunc wants.
func CompareWorstFirst(a, b Rank) int {
	if a.Status != b.Status {
		return cmp.Compare(b.Status, a.Status)
	}
	if a.HasCert != b.HasCert {
		if a.HasCert {
			return -1
		}
		return 1
	}
	if a.HasCert && a.Days != b.Days {
		return cmp.Compare(a.Days, b.Days)
	}
	return strings.Compare(a.Name, b.Name)
}

// Rank of an endpoint at now, for CompareWorstFirst.
func (e *EndpointState) Rank(now time.Time) Rank {
	days, ok := e.DaysLeft(now)
	return Rank{Status: e.Verdict.Status, HasCert: ok, Days: days, Name: e.Endpoint.Name}
}

// Rank of a bundle at now, for CompareWorstFirst.
func (b *BundleState) Rank(now time.Time) Rank {
	days, ok := b.DaysLeft(now)
	return Rank{Status: b.Verdict.Status, HasCert: ok, Days: days, Name: b.Bundle.Name}
}
