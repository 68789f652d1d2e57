package ui

import (
	"fmt"
	"strings"

	"certdeck/model"
	"certdeck/rotate"
)

// While an action runs on a bundle or its endpoints, what they serve is
// expected to differ from the disk for a while: the publish has
// switched and the reload has not run yet, or a probe lands between the
// two. A drift line then ("web2 serves serial …, not the bundle's …:
// reload needed") says certdeck should reload what certdeck is
// reloading. Such lines are held while an action covers the bundle or
// the endpoint, and when the action has landed, one that is still true
// is logged then; the action's own lines say how its verification went.

// driftKey is a held drift line's bundle and endpoint.
type driftKey struct{ bundle, endpoint string }

// driftEndpoint is the endpoint a drift line of the state (Kind
// ChangeBundle: "EP serves serial …", "EP still serves serial …") is
// about, or "" for any other change.
func (m *Model) driftEndpoint(c model.Change) string {
	if c.Kind != model.ChangeBundle {
		return ""
	}
	bs := m.state.Bundle(c.Subject)
	if bs == nil {
		return ""
	}
	for _, ep := range bs.Bundle.Serves {
		if strings.HasPrefix(c.Message, ep+" serves ") || strings.HasPrefix(c.Message, ep+" still serves ") {
			return ep
		}
	}
	return ""
}

// holdDrift reports whether c is to be held: a drift line, or its end,
// about a bundle or endpoint an action in flight covers. A line saying
// the endpoint serves the bundle's certificate again drops the held one.
func (m *Model) holdDrift(c model.Change) bool {
	ep := m.driftEndpoint(c)
	if ep == "" {
		return false
	}
	k := driftKey{c.Subject, ep}
	if !strings.Contains(c.Message, "reload needed") && !strings.Contains(c.Message, "on disk is behind") {
		delete(m.heldDrift, k) // it serves the bundle's certificate: no longer true
		return false
	}
	if !m.covered(rotate.BundleClaim(c.Subject)) && !m.covered(rotate.EndpointClaim(ep)) {
		return false
	}
	m.heldDrift[k] = c
	return true
}

// releaseDrift logs the held drift lines no action covers any more that
// are still true, at the time they are logged, with the bundle's tally
// as it is now; the others are dropped. An endpoint the landed action
// (out, nil when none could run) verified no longer drifts, whatever
// the console's state still says: its verification probes may reach
// the state after the outcome.
func (m *Model) releaseDrift(out *rotate.Outcome) {
	now := m.ctx.Now()
	verified := map[string]bool{}
	if out != nil {
		leg := &out.Forward
		if out.Back != nil {
			leg = out.Back // what the rollback verified is what is served
		}
		for _, v := range leg.Verify {
			verified[v.Endpoint] = v.State == rotate.EndpointVerified
		}
	}
	for k, c := range m.heldDrift {
		if m.covered(rotate.BundleClaim(k.bundle)) || m.covered(rotate.EndpointClaim(k.endpoint)) {
			continue
		}
		delete(m.heldDrift, k)
		if verified[k.endpoint] {
			continue
		}
		bs := m.state.Bundle(k.bundle)
		if bs == nil {
			continue
		}
		for _, d := range bs.Drift {
			if d.Endpoint != k.endpoint || d.State != model.Drifted {
				continue
			}
			msg := c.Message
			if !strings.Contains(msg, " serial "+d.ServedSerial+",") {
				held := ""
				if leaf := bs.Leaf(); leaf != nil {
					held = " " + leaf.Serial
				}
				msg = fmt.Sprintf("%s serves serial %s, not the bundle's%s: reload needed ()", d.Endpoint, d.ServedSerial, held)
			}
			if i := strings.LastIndex(msg, " ("); i >= 0 {
				msg = msg[:i]
			}
			m.ring.Add(model.Change{Time: now, Subject: k.bundle, Kind: model.ChangeBundle, Message: msg + " (" + syncTally(bs.Drift) + ")"})
		}
	}
}

// syncTally is "1/2 in sync", with what is not known yet said so ("0/2
// in sync, 1 unknown"), as the state's own drift lines count.
func syncTally(drift []model.EndpointDrift) string {
	in, unknown, verifying := 0, 0, 0
	for _, d := range drift {
		switch d.State {
		case model.InSync:
			in++
		case model.DriftUnknown:
			unknown++
		case model.DriftVerifying:
			verifying++
		}
	}
	s := fmt.Sprintf("%d/%d in sync", in, len(drift))
	if unknown > 0 {
		s += fmt.Sprintf(", %d unknown", unknown)
	}
	if verifying > 0 {
		s += fmt.Sprintf(", %d verifying", verifying)
	}
	return s
}
