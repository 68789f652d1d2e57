package model

import (
	"fmt"
	"time"
)

// DriftState compares what one endpoint serves with its bundle on disk.
type DriftState string

const (
	InSync       DriftState = "in-sync" // serves the bundle's current serial
	Drifted      DriftState = "drift"   // serves a different certificate
	DriftUnknown DriftState = "unknown" // not probed yet, probe failing, or bundle unreadable
)

// EndpointDrift is one serving endpoint's drift against its bundle.
type EndpointDrift struct {
	Endpoint string
	State    DriftState
	// ServedSerial is the leaf serial the endpoint served at its last
	// successful probe ("" when never seen).
	ServedSerial string
	// Newer is true when the drifting endpoint serves a certificate issued
	// after the bundle's: the disk is behind, not the server.
	Newer bool
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
			served = es.LastGood.Leaf()
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
				d.State = Drifted
				d.Newer = served.NotBefore.After(leaf.NotBefore)
			}
		}
		out = append(out, d)
	}
	return out
}

// DriftSummary is the short form for a table cell: "2/3 in sync"; empty
// when the bundle serves no endpoint.
func DriftSummary(d []EndpointDrift) string {
	if len(d) == 0 {
		return ""
	}
	in := 0
	for _, e := range d {
		if e.State == InSync {
			in++
		}
	}
	return fmt.Sprintf("%d/%d in sync", in, len(d))
}

// driftVerdict adds drift findings to v: any drift is WARN.
func driftVerdict(v *Verdict, d []EndpointDrift) {
	older, newer := 0, 0
	for _, e := range d {
		if e.State != Drifted {
			continue
		}
		if e.Newer {
			newer++
		} else {
			older++
		}
	}
	if older > 0 {
		v.add(Warn, fmt.Sprintf("%d of %d endpoints serve an older certificate: reload needed", older, len(d)))
	}
	if newer > 0 {
		v.add(Warn, fmt.Sprintf("%d of %d endpoints serve a newer certificate than the bundle on disk", newer, len(d)))
	}
}

// driftChanges describes transitions worth a line in the event log: an
// endpoint starting or stopping to serve the bundle's certificate. The
// first judgement after start (from unknown) is not news.
func driftChanges(bundle string, before, after []EndpointDrift, at time.Time) []Change {
	prev := map[string]DriftState{}
	for _, d := range before {
		prev[d.Endpoint] = d.State
	}
	var out []Change
	for _, d := range after {
		was := prev[d.Endpoint]
		if was == d.State || d.State == DriftUnknown || was == "" || was == DriftUnknown && d.State == InSync {
			continue
		}
		msg := fmt.Sprintf("%s serves the bundle's certificate again (%s)", d.Endpoint, DriftSummary(after))
		if d.State == Drifted {
			msg = fmt.Sprintf("%s serves serial %s, not the bundle's: reload needed (%s)",
				d.Endpoint, ShortSerial(d.ServedSerial), DriftSummary(after))
		}
		out = append(out, Change{Time: at, Subject: bundle, Kind: ChangeBundle, Message: msg})
	}
	return out
}
