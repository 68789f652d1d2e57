package model

import "time"

// VerifyStarted says an action just changed what a bundle's serving
// endpoints should present (a publish, a rollback, later a reload): Serial
// is the leaf serial they should now serve. Until each serving endpoint has
// been probed after Time, its drift reads "verifying" rather than "reload
// needed": the re-probe that proves the change is still on its way.
type VerifyStarted struct {
	Bundle string
	Serial string
	Time   time.Time
}

func (VerifyStarted) isEvent() {}
