package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// BundleState is what is known about one bundle on disk now, and whether
// the endpoints it serves present it.
type BundleState struct {
	Bundle Bundle
	// Facts is the latest read; nil before the first.
	Facts   *BundleFacts
	Verdict Verdict
	// Drift has one entry per endpoint in Bundle.Serves, in that order.
	Drift []EndpointDrift
	// nameFindings are host names of serving endpoints the leaf does not
	// cover; they depend on the fleet, so they live beside Facts.
	nameFindings []Finding
	// verifies are the actions whose re-probes are awaited; see
	// verifyingOverlay.
	verifies []VerifyStarted
}

// Serial of the bundle's leaf, or "" when none was read.
func (b *BundleState) Serial() string {
	if b.Facts == nil || b.Facts.Leaf == nil {
		return ""
	}
	return b.Facts.Leaf.Serial
}

// Leaf is the bundle's certificate summary, or nil.
func (b *BundleState) Leaf() *CertInfo {
	if b.Facts == nil {
		return nil
	}
	return b.Facts.Leaf
}

// DaysLeft of the bundle's leaf; ok is false when no certificate is known.
func (b *BundleState) DaysLeft(now time.Time) (int, bool) {
	if l := b.Leaf(); l != nil {
		return DaysLeft(l.NotAfter, now), true
	}
	return 0, false
}

// KeyMatch reports whether the bundle's key matches its leaf; known is
// false when no key or no certificate could be read.
func (b *BundleState) KeyMatch() (match, known bool) {
	if b.Facts == nil || !b.Facts.HasKey || b.Facts.Leaf == nil {
		return false, false
	}
	return b.Facts.KeyMatch, true
}

// DriftSummary is "2/3 in sync", or "" when the bundle serves nothing.
func (b *BundleState) DriftSummary() string { return DriftSummary(b.Drift) }

// classify applies the status rules at now: read-time findings, expiry
// (which moves with the clock) and drift.
func (b *BundleState) classify(now time.Time) {
	if b.Facts == nil {
		b.Verdict = Verdict{Status: Unknown, Reasons: []string{"not read yet"}}
		return
	}
	v := Verdict{Status: OK}
	for _, f := range slices.Concat(b.Facts.Findings, b.nameFindings) {
		v.add(f.Status, f.Reason)
	}
	if l := b.Facts.Leaf; l != nil {
		exp := ClassifyCert(l, b.Bundle.Thresholds, now)
		for _, r := range exp.Reasons {
			v.add(exp.Status, r)
		}
	}
	driftVerdict(&v, b.Facts.Leaf, b.Drift)
	b.Verdict = v
}

// Bundles lists bundle states in config order.
func (s *State) Bundles() []*BundleState { return s.bundles }

// BundlesWorstFirst orders bundle states by CompareWorstFirst: status
// worst first, then fewest days left (unread bundles last), then name.
func (s *State) BundlesWorstFirst(now time.Time) []*BundleState {
	out := slices.Clone(s.bundles)
	slices.SortStableFunc(out, func(a, b *BundleState) int {
		return CompareWorstFirst(a.Rank(now), b.Rank(now))
	})
	return out
}

// Bundle finds one bundle's state.
func (s *State) Bundle(name string) *BundleState { return s.bundleByName[name] }

// initBundles starts every configured bundle UNKNOWN, and indexes which
// bundles serve each endpoint: an observation re-judges only those, so its
// cost does not grow with the number of bundles in the fleet.
func (s *State) initBundles() {
	s.bundleByName = map[string]*BundleState{}
	s.servedBy = map[string][]*BundleState{}
	for _, b := range s.Fleet.Bundles {
		bs := &BundleState{Bundle: b}
		bs.Drift = ComputeDrift(nil, b.Serves, s.Endpoint)
		bs.classify(time.Time{})
		s.bundles = append(s.bundles, bs)
		s.bundleByName[b.Name] = bs
		for _, ep := range b.Serves {
			if list := s.servedBy[ep]; !slices.Contains(list, bs) {
				s.servedBy[ep] = append(list, bs)
			}
		}
	}
}

// judgeDrift recomputes bs's drift at now, "verifying" included, and
// what it means for the endpoints bs serves.
func (s *State) judgeDrift(bs *BundleState, now time.Time) {
	bs.Drift = ComputeDrift(bs.Leaf(), bs.Bundle.Serves, s.Endpoint)
	bs.verifyingOverlay(s.Endpoint, now)
	s.rejudgeServed(bs, now)
}

// applyBundle folds one bundle read into state.
func (s *State) applyBundle(snap *BundleSnapshot, now time.Time) []Change {
	bs := s.bundleByName[snap.Bundle]
	if bs == nil {
		snap.Seal(Bundle{Name: snap.Bundle}) // still wipe the bytes
		return nil
	}
	facts := snap.Seal(bs.Bundle)
	prev, before, prevDrift := bs.Facts, bs.Verdict.Status, bs.Drift
	bs.Facts = facts
	bs.nameFindings = s.nameFindings(bs)
	s.judgeDrift(bs, now)
	bs.classify(now)

	var changes []Change
	add := func(kind ChangeKind, format string, args ...any) {
		changes = append(changes, Change{Time: now, Subject: bs.Bundle.Name, Kind: kind, Message: fmt.Sprintf(format, args...)})
	}
	if snap.NonAtomic != "" {
		add(ChangeNonAtomic, "%s", snap.NonAtomic)
	}
	errs, prevErrs := facts.errorReasons(), prev.errorReasons()
	switch {
	case len(errs) > 0 && !slices.Equal(errs, prevErrs):
		add(ChangeError, "%s", errs[0])
	case len(errs) == 0 && len(prevErrs) > 0:
		add(ChangeRecovered, "bundle reads again (%s)", prevErrs[0])
	}
	if prev != nil && prev.Leaf != nil && facts.Leaf != nil && prev.Leaf.Serial != facts.Leaf.Serial {
		msg := fmt.Sprintf("serial %s on disk (was %s), expires %s",
			facts.Leaf.Serial, prev.Leaf.Serial, facts.Leaf.NotAfter.Format(time.DateOnly))
		if lost := MissingNames(prev.Leaf.SANs, facts.Leaf.SANs); len(lost) > 0 {
			msg += "; names dropped: " + strings.Join(lost, ", ")
		}
		add(ChangeBundle, "%s", msg)
	}
	changes = append(changes, driftChanges(bs.Bundle.Name, facts.Leaf, prevDrift, bs.Drift, now)...)
	if prev != nil && before != bs.Verdict.Status && len(changes) == 0 {
		add(ChangeStatus, "%s → %s: %s", before, bs.Verdict.Status, firstReason(bs.Verdict))
	}
	return changes
}

// redriftEndpoint recomputes drift of the bundles that serve endpoint,
// after a new observation of it.
func (s *State) redriftEndpoint(endpoint string, now time.Time) []Change {
	var changes []Change
	for _, bs := range s.servedBy[endpoint] {
		changes = append(changes, s.redrift(bs, now)...)
	}
	return changes
}

// redrift re-judges one bundle's drift and returns what is worth logging.
func (s *State) redrift(bs *BundleState, now time.Time) []Change {
	prevDrift := bs.Drift
	s.judgeDrift(bs, now)
	bs.classify(now)
	return driftChanges(bs.Bundle.Name, bs.Leaf(), prevDrift, bs.Drift, now)
}

// nameFindings checks the bundle's leaf against the SNI of every endpoint
// it serves: publishing a certificate that lacks one of them breaks it.
func (s *State) nameFindings(bs *BundleState) []Finding {
	leaf := bs.Facts.leafCert
	if leaf == nil {
		return nil
	}
	var out []Finding
	for _, name := range bs.Bundle.Serves {
		es := s.Endpoint(name)
		if es == nil || es.Endpoint.SNI == "" {
			continue
		}
		if err := leaf.VerifyHostname(es.Endpoint.SNI); err != nil {
			out = append(out, Finding{Status: Crit, Reason: fmt.Sprintf(
				"certificate is not valid for %s (served as %s): names are %s",
				es.Endpoint.SNI, name, strings.Join(bs.Facts.Leaf.SANs, ", "))})
		}
	}
	return out
}

// reclassifyBundles re-applies the clock-dependent rules: expiry, and the
// end of a verification that timed out.
func (s *State) reclassifyBundles(now time.Time) {
	for _, bs := range s.bundles {
		if len(bs.verifies) > 0 {
			s.judgeDrift(bs, now)
		}
		bs.classify(now)
	}
}

func (f *BundleFacts) errorReasons() []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, fd := range f.Findings {
		if fd.Status == Error {
			out = append(out, fd.Reason)
		}
	}
	return out
}
