package model

import "time"

// ProbeBackoff says the scheduler will not probe an endpoint again until
// Next, because its last Failures probes in a row failed: the console shows
// "backing off, next try in 4m" rather than a silent gap. A later
// observation that is not a failure ends it.
type ProbeBackoff struct {
	Endpoint string
	Failures int
	Next     time.Time
}

func (ProbeBackoff) isEvent() {}

// BackoffState is an endpoint's backoff: zero when it is not backing off.
type BackoffState struct {
	Failures int
	Next     time.Time
}

// BackingOff reports whether the endpoint waits for a try later than its
// interval would give, as of now.
func (b BackoffState) BackingOff(now time.Time) bool {
	return b.Failures >= 2 && now.Before(b.Next)
}

// anyAddressAnswered reports whether one of an all_ips probe's addresses
// did not fail: the endpoint is then not backing off.
func anyAddressAnswered(addrs []*Observation) bool {
	for _, a := range addrs {
		if !a.Failed() {
			return true
		}
	}
	return false
}
