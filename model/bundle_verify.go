package model

import "time"

// VerifyTimeout bounds how long an endpoint reads "verifying" after a
// VerifyStarted: the console re-probes at once, so a re-probe that has not
// come back by then is not on its way, and normal drift judgement resumes.
const VerifyTimeout = 30 * time.Second

// startVerify records that endpoints of the bundle are about to be
// re-probed to prove an action (publish, rollback, reload) took effect.
// Two reloads of one bundle's endpoints may run side by side (web1's and
// web2's), so each is awaited on its own.
func (s *State) startVerify(v VerifyStarted, now time.Time) []Change {
	bs := s.bundleByName[v.Bundle]
	if bs == nil {
		return nil
	}
	bs.verifies = append(bs.verifies, v)
	return s.redrift(bs, now)
}

// verifyingOverlay turns into DriftVerifying the endpoints whose proof is
// still on its way: covered by an action within VerifyTimeout of it, not
// in sync, and either not probed since the action (the observation's
// start time is what counts: a probe that started before the publish
// cannot prove it) or the bundle's own read of the change has not arrived
// yet. An endpoint no pending action covers keeps its drift. It drops each
// pending verification once nothing is left to wait for.
func (bs *BundleState) verifyingOverlay(endpoint func(string) *EndpointState, now time.Time) {
	if len(bs.verifies) == 0 {
		return
	}
	pending := bs.verifies[:0]
	for _, v := range bs.verifies {
		if !now.Before(v.Time.Add(VerifyTimeout)) {
			continue
		}
		diskBehind := v.Serial != "" && bs.Serial() != v.Serial
		waiting := diskBehind
		for i := range bs.Drift {
			d := &bs.Drift[i]
			if d.State == InSync || !v.covers(d.Endpoint) {
				continue
			}
			es := endpoint(d.Endpoint)
			probedSince := es != nil && es.Last != nil && !es.Last.Time.Before(v.Time)
			if !probedSince || diskBehind {
				d.State, d.Newer, d.Older = DriftVerifying, false, false
				waiting = true
			}
		}
		if waiting {
			pending = append(pending, v)
		}
	}
	clear(bs.verifies[len(pending):])
	bs.verifies = pending
}
