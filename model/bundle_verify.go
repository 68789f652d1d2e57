package model

import "time"

// VerifyTimeout bounds how long an endpoint reads "verifying" after a
// VerifyStarted: the console re-probes at once, so a re-probe that has not
// come back by then is not on its way, and normal drift judgement resumes.
const VerifyTimeout = 30 * time.Second

// startVerify records that the bundle's serving endpoints are about to be
// re-probed to prove an action (publish, rollback) took effect.
func (s *State) startVerify(v VerifyStarted, now time.Time) []Change {
	bs := s.bundleByName[v.Bundle]
	if bs == nil {
		return nil
	}
	bs.verify = &v
	return s.redrift(bs, now)
}

// verifyingOverlay turns into DriftVerifying the endpoints whose proof is
// still on its way: within VerifyTimeout of the action, not in sync, and
// either not probed since the action (the observation's start time is what
// counts: a probe that started before the publish cannot prove it) or the
// bundle's own read of the change has not arrived yet. It clears the
// pending verification once nothing is left to wait for.
func (bs *BundleState) verifyingOverlay(endpoint func(string) *EndpointState, now time.Time) {
	v := bs.verify
	if v == nil {
		return
	}
	if !now.Before(v.Time.Add(VerifyTimeout)) {
		bs.verify = nil
		return
	}
	diskBehind := v.Serial != "" && bs.Serial() != v.Serial
	waiting := diskBehind
	for i := range bs.Drift {
		d := &bs.Drift[i]
		if d.State == InSync {
			continue
		}
		es := endpoint(d.Endpoint)
		probedSince := es != nil && es.Last != nil && !es.Last.Time.Before(v.Time)
		if !probedSince || diskBehind {
			d.State, d.Newer, d.Older = DriftVerifying, false, false
			waiting = true
		}
	}
	if !waiting {
		bs.verify = nil
	}
}
