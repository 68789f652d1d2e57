package model

import (
	"fmt"
	"strings"
	"time"
)

// DriftState compares what one endpoint serves with its bundle on disk.
type DriftState string

const (
	InSync       DriftState = "in-sync" // serves the bundle's current serial
	Drifted      DriftState = "drift"   // serves a different certificate
	DriftUnknown DriftState = "unknown" // not probed yet, probe failing, or bundle unreadable
	// DriftVerifying: an action just changed what the endpoint should
	// serve (VerifyStarted) and the probe that proves it has not come back
	// yet; not drift, for at most VerifyTimeout.
	DriftVerifying DriftState = "verifying"
)

// EndpointDrift is one serving endpoint's drift against its bundle.
type EndpointDrift struct {
	Endpoint string
	State    DriftState
	// ServedSerial is the leaf serial the endpoint served at its last
	// successful probe ("" when never seen).
	ServedSerial string
	// Newer is true when the drifting endpoint serves a certificate issued
	// after the bundle's (or, issued the same second, expiring later): the
	// disk is behind, not the server. Older is the reverse; neither is set
	// when the two cannot be ordered.
	Newer, Older bool

	served *CertInfo // what the endpoint serves, for the reason text
	// unchecked, when set, says why the server could not be asked for a
	// certificate of the bundle's key type (Observation.OtherKeyUnchecked):
	// the drift may be a second certificate the probe could not see.
	unchecked string
}

// ComputeDrift compares the bundle leaf (nil: unreadable) with what each
// endpoint in serves presents. endpoint looks a state up by name (nil when
// the endpoint is unknown).
func ComputeDrift(leaf *CertInfo, serves []string, endpoint func(string) *EndpointState) []EndpointDrift {
	out := make([]EndpointDrift, 0, len(serves))
	for _, name := range serves {
		d := EndpointDrift{Endpoint: name, State: DriftUnknown}
		es := endpoint(name)
		var served *CertInfo
		if es != nil && es.LastGood != nil {
			// A server with an RSA and an ECDSA certificate is compared
			// with the bundle through the one of the bundle's key type.
			served = es.LastGood.LeafLike(leaf)
		}
		if served != nil {
			d.ServedSerial = served.Serial
		}
		// Only a current, successful probe says what is served now; a
		// failing endpoint's last good serial is shown but not judged.
		current := es != nil && es.Last != nil && !es.Last.Failed() && es.Last.Leaf() != nil
		if current && leaf != nil {
			d.State = InSync
			if served.Serial != leaf.Serial {
				d.State, d.served = Drifted, served
				if KeyFamily(served) != KeyFamily(leaf) {
					d.unchecked = es.LastGood.OtherKeyUnchecked
				}
				switch order := issuedOrder(served, leaf); {
				case order > 0:
					d.Newer = true
				case order < 0:
					d.Older = true
				}
			}
		}
		out = append(out, d)
	}
	return out
}

// issuedOrder orders two certificates by issue time, then by expiry:
// +1 when a is the later one, -1 when b is, 0 when nothing tells them apart.
func issuedOrder(a, b *CertInfo) int {
	switch {
	case a.NotBefore.After(b.NotBefore):
		return 1
	case a.NotBefore.Before(b.NotBefore):
		return -1
	case a.NotAfter.After(b.NotAfter):
		return 1
	case a.NotAfter.Before(b.NotAfter):
		return -1
	}
	return 0
}

// DriftSummary is the short form for a table cell: "2/3 in sync", or
// "verifying" while an action's re-probe is on its way; empty when the
// bundle serves no endpoint.
func DriftSummary(d []EndpointDrift) string {
	if len(d) == 0 {
		return ""
	}
	for _, e := range d {
		if e.State == DriftVerifying {
			return string(DriftVerifying)
		}
	}
	return inSyncCount(d)
}

// syncTally is inSyncCount for the event log, which is read later and
// must not suggest an endpoint is out of sync when it is merely not known
// yet: "0/2 in sync, 1 unknown", "1/3 in sync, 2 verifying".
func syncTally(d []EndpointDrift) string {
	unknown, verifying := 0, 0
	for _, e := range d {
		switch e.State {
		case DriftUnknown:
			unknown++
		case DriftVerifying:
			verifying++
		}
	}
	out := inSyncCount(d)
	if unknown > 0 {
		out += fmt.Sprintf(", %d unknown", unknown)
	}
	if verifying > 0 {
		out += fmt.Sprintf(", %d verifying", verifying)
	}
	return out
}

// inSyncCount is "2/3 in sync".
func inSyncCount(d []EndpointDrift) string {
	in := 0
	for _, e := range d {
		if e.State == InSync {
			in++
		}
	}
	return fmt.Sprintf("%d/%d in sync", in, len(d))
}

// driftVerdict adds drift findings to v: any drift is WARN. Each finding
// says which endpoints serve what, and what the bundle holds, grouped by
// the served serial.
func driftVerdict(v *Verdict, leaf *CertInfo, d []EndpointDrift) {
	var order []string
	groups := map[string][]EndpointDrift{}
	for _, e := range d {
		if e.State != Drifted {
			continue
		}
		if _, ok := groups[e.ServedSerial]; !ok {
			order = append(order, e.ServedSerial)
		}
		groups[e.ServedSerial] = append(groups[e.ServedSerial], e)
	}
	for _, serial := range order {
		g := groups[serial]
		names := make([]string, len(g))
		for i, e := range g {
			names[i] = e.Endpoint
		}
		who := names[0] + " serves"
		if len(g) > 1 {
			who = fmt.Sprintf("%d of %d endpoints (%s) serve", len(g), len(d), strings.Join(names, ", "))
		}
		v.add(Warn, who+" "+describeDrift(g[0], leaf, "the bundle"))
	}
}

// describeDrift: "an older certificate (serial 0a…, expires 2026-05-01)
// than the bundle holds (serial 0b…, expires 2026-06-01): reload needed".
// bundle names the holder: "the bundle" in a bundle's reasons, "bundle
// web" in an endpoint's.
func describeDrift(e EndpointDrift, leaf *CertInfo, bundle string) string {
	cert := func(c *CertInfo) string {
		if c == nil {
			return "serial " + e.ServedSerial
		}
		return fmt.Sprintf("serial %s, expires %s", c.Serial, c.NotAfter.Format(time.DateOnly))
	}
	held := "?"
	if leaf != nil {
		held = cert(leaf)
	}
	note := ""
	if e.unchecked != "" {
		note = " (" + e.unchecked + ")"
	}
	switch {
	case e.Newer:
		return fmt.Sprintf("a newer certificate (%s) than %s holds (%s): %s on disk is behind%s", cert(e.served), bundle, held, bundle, note)
	case e.Older:
		return fmt.Sprintf("an older certificate (%s) than %s holds (%s): reload needed%s", cert(e.served), bundle, held, note)
	}
	return fmt.Sprintf("a different certificate (%s) from the one %s holds (%s): reload needed%s", cert(e.served), bundle, held, note)
}

// driftChanges describes transitions worth a line in the event log: an
// endpoint starting or stopping to serve the bundle's certificate. The
// first judgement after start (from unknown) is not news, nor is the wait
// for a verification.
func driftChanges(bundle string, leaf *CertInfo, before, after []EndpointDrift, at time.Time) []Change {
	prev := map[string]DriftState{}
	for _, d := range before {
		prev[d.Endpoint] = d.State
	}
	held := ""
	if leaf != nil {
		held = " " + leaf.Serial
	}
	var out []Change
	for _, d := range after {
		was := prev[d.Endpoint]
		if was == d.State || d.State == DriftUnknown || d.State == DriftVerifying || was == "" || was == DriftUnknown && d.State == InSync {
			continue
		}
		msg := fmt.Sprintf("%s serves the bundle's certificate%s again (%s)", d.Endpoint, held, syncTally(after))
		switch {
		case d.State == InSync && was == DriftVerifying:
			msg = fmt.Sprintf("%s serves the bundle's certificate%s: verified (%s)", d.Endpoint, held, syncTally(after))
		case d.State == Drifted && was == DriftVerifying:
			msg = fmt.Sprintf("%s still serves serial %s, not the bundle's%s: reload needed (%s)",
				d.Endpoint, d.ServedSerial, held, syncTally(after))
		case d.State == Drifted:
			msg = fmt.Sprintf("%s serves serial %s, not the bundle's%s: reload needed (%s)",
				d.Endpoint, d.ServedSerial, held, syncTally(after))
		}
		out = append(out, Change{Time: at, Subject: bundle, Kind: ChangeBundle, Message: msg})
	}
	return out
}
