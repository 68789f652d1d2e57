package model

import (
	"slices"
	"time"
)

// rejudgeServed gives every endpoint bs serves its share of bs's drift
// (and of any other bundle serving it) after bs's drift was judged again,
// and re-judges the endpoints whose findings changed. Only bs's endpoints
// are visited, through the servedBy index, so an observation's cost does
// not grow with the fleet.
func (s *State) rejudgeServed(bs *BundleState, now time.Time) {
	for _, name := range bs.Bundle.Serves {
		es := s.byName[name]
		if es == nil {
			continue
		}
		f := s.endpointDrift(name)
		if slices.Equal(f, es.driftFindings) {
			continue
		}
		es.driftFindings = f
		es.Verdict = es.judge(now)
	}
}

// endpointDrift is one WARN per bundle the endpoint drifts from: "serves
// an older certificate (serial …) than bundle web holds (serial …): reload
// needed". An endpoint being verified after an action, or whose probe
// fails, or whose bundle cannot be read, has none: its drift is not known.
func (s *State) endpointDrift(endpoint string) []Finding {
	var out []Finding
	for _, bs := range s.servedBy[endpoint] {
		for _, d := range bs.Drift {
			if d.Endpoint == endpoint && d.State == Drifted {
				out = append(out, Finding{Status: Warn, Reason: "serves " + describeDrift(d, bs.Leaf(), "bundle "+bs.Bundle.Name)})
			}
		}
	}
	return out
}

// BundlesServing lists the bundles whose serves: names endpoint.
func (s *State) BundlesServing(endpoint string) []*BundleState { return s.servedBy[endpoint] }
