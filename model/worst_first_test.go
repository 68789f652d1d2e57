package model

import (
	"slices"
	"testing"
)

func TestCompareWorstFirst(t *testing.T) {
	// In the order on-call reads them.
	ranks := []Rank{
		{Status: Error, Name: "dns-broken"},
		{Status: Crit, HasCert: true, Days: -2, Name: "expired"},
		{Status: Crit, HasCert: true, Days: 3, Name: "a-soon"},
		{Status: Crit, HasCert: true, Days: 3, Name: "b-soon"},
		{Status: Crit, Name: "unreadable"},
		{Status: Warn, HasCert: true, Days: 20, Name: "warn"},
		{Status: Unknown, Name: "new"},
		{Status: OK, HasCert: true, Days: 45, Name: "ok"},
	}
	shuffled := []Rank{ranks[5], ranks[7], ranks[3], ranks[0], ranks[6], ranks[2], ranks[4], ranks[1]}
	slices.SortFunc(shuffled, CompareWorstFirst)
	if !slices.Equal(shuffled, ranks) {
		t.Fatalf("order %v\nwant  %v", shuffled, ranks)
	}
	for _, r := range ranks {
		if CompareWorstFirst(r, r) != 0 {
			t.Fatalf("%v is not equal to itself", r)
		}
	}
}
