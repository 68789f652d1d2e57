package ui

import (
	"strings"

	"certdeck/model"
)

// matchFilter reports whether an endpoint matches every word of the
// filter (case-insensitive substring) in its name, address, SNI, SANs,
// issuer, status word or group. Words narrow: "crit web" is both.
func matchFilter(es *model.EndpointState, words []string) bool {
	if len(words) == 0 {
		return true
	}
	fields := []string{
		es.Endpoint.Name, es.Endpoint.Address, es.Endpoint.SNI, es.Endpoint.Group,
		es.Verdict.Status.String(),
	}
	if leaf := servedLeaf(es); leaf != nil {
		fields = append(fields, leaf.Issuer, leaf.Subject)
		fields = append(fields, leaf.SANs...)
	}
	return matchAllWords(fields, words)
}

// matchBundleFilter is matchFilter for a bundle: name, path, layout,
// group, status word, SANs and the endpoints it serves.
func matchBundleFilter(bs *model.BundleState, words []string) bool {
	if len(words) == 0 {
		return true
	}
	b := bs.Bundle
	fields := append([]string{b.Name, b.Path, b.Layout, b.Group, bs.Verdict.Status.String()}, b.Serves...)
	if leaf := bs.Leaf(); leaf != nil {
		fields = append(fields, leaf.SANs...)
	}
	return matchAllWords(fields, words)
}

// filterWords splits and lowercases the filter text.
func filterWords(s string) []string {
	return strings.Fields(strings.ToLower(s))
}

// containsFold is a case-insensitive substring test; w is already lower.
func containsFold(s, w string) bool {
	if len(w) > len(s) {
		return false
	}
	return strings.Contains(strings.ToLower(s), w)
}

// matchAllWords reports whether every word appears, ignoring case, in at
// least one of fields: words narrow the selection, as in k9s and gh-dash.
func matchAllWords(fields, words []string) bool {
	for _, w := range words {
		found := false
		for _, f := range fields {
			if containsFold(f, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
