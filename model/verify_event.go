package model

import (
	"slices"
	"time"
)

// VerifyStarted says an action just changed what a bundle's serving
// endpoints should present (a publish, a rollback, later a reload): Serial
// is the leaf serial they should now serve. Until each serving endpoint has
// been probed after Time, its drift reads "verifying" rather than "reload
// needed": the re-probe that proves the change is still on its way.
//
// Endpoints are those the action verifies; none means every endpoint the
// bundle serves (a publish or rollback changes what all of them should
// present). A reload of web1 proves nothing about web2: web2's drift
// stays a drift.
type VerifyStarted struct {
	Bundle    string
	Serial    string
	Time      time.Time
	Endpoints []string
}

// covers reports whether the action verifies endpoint.
func (v VerifyStarted) covers(endpoint string) bool {
	return len(v.Endpoints) == 0 || slices.Contains(v.Endpoints, endpoint)
}

func (VerifyStarted) isEvent() {}
