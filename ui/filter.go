package ui

import (
	"strings"

	"certdeck/model"
)

// The filter matches every word (case-insensitive substring) against an
// item's fields; words narrow: "crit web" is both. A keystroke re-filters
// every row, so at 10,000 endpoints lowercasing each field on each
// keystroke was half of the keystroke's cost: each item's fields are
// lowercased once into one search text, kept until what it is made of
// changes (a new observation, a new verdict), and a word matches when it
// is a substring of that text. The fields are joined by a NUL, which no
// filter word holds (keyFilter takes no control characters), so a word
// never matches across two fields.

// searchCache keeps the search text of each item K, with the stamp S of
// what it was made from.
type searchCache[K comparable, S comparable] struct {
	entries map[K]searchEntry[S]
}

type searchEntry[S comparable] struct {
	stamp S
	text  string
}

func newSearchCache[K comparable, S comparable]() *searchCache[K, S] {
	return &searchCache[K, S]{entries: map[K]searchEntry[S]{}}
}

// text is k's search text, rebuilt from fields when stamp changed.
func (c *searchCache[K, S]) text(k K, stamp S, fields func() []string) string {
	if e, ok := c.entries[k]; ok && e.stamp == stamp {
		return e.text
	}
	text := strings.ToLower(strings.Join(fields(), "\x00"))
	c.entries[k] = searchEntry[S]{stamp: stamp, text: text}
	return text
}

// endpointStamp is what an endpoint's search text is made of beyond its
// configuration (which does not change while the console runs).
type endpointStamp struct {
	last, lastGood *model.Observation
	status         model.Status
}

// endpointMatcher filters endpoints by name, address, SNI, group, status
// word, and the served leaf's issuer, subject and SANs.
type endpointMatcher struct {
	cache *searchCache[*model.EndpointState, endpointStamp]
}

func newEndpointMatcher() endpointMatcher {
	return endpointMatcher{cache: newSearchCache[*model.EndpointState, endpointStamp]()}
}

func (m endpointMatcher) match(es *model.EndpointState, words []string) bool {
	if len(words) == 0 {
		return true
	}
	stamp := endpointStamp{last: es.Last, lastGood: es.LastGood, status: es.Verdict.Status}
	return matchAllWords(m.cache.text(es, stamp, func() []string { return endpointFields(es) }), words)
}

func endpointFields(es *model.EndpointState) []string {
	fields := []string{
		es.Endpoint.Name, es.Endpoint.Address, es.Endpoint.SNI, es.Endpoint.Group,
		es.Verdict.Status.String(),
	}
	if leaf := servedLeaf(es); leaf != nil {
		fields = append(fields, leaf.Issuer, leaf.Subject)
		fields = append(fields, leaf.SANs...)
	}
	return fields
}

// bundleStamp is what a bundle's search text is made of beyond its
// configuration.
type bundleStamp struct {
	facts  *model.BundleFacts
	status model.Status
}

// bundleMatcher filters bundles by name, path, layout, group, status word,
// SANs and the endpoints each serves.
type bundleMatcher struct {
	cache *searchCache[*model.BundleState, bundleStamp]
}

func newBundleMatcher() bundleMatcher {
	return bundleMatcher{cache: newSearchCache[*model.BundleState, bundleStamp]()}
}

func (m bundleMatcher) match(bs *model.BundleState, words []string) bool {
	if len(words) == 0 {
		return true
	}
	stamp := bundleStamp{facts: bs.Facts, status: bs.Verdict.Status}
	return matchAllWords(m.cache.text(bs, stamp, func() []string { return bundleFields(bs) }), words)
}

func bundleFields(bs *model.BundleState) []string {
	b := bs.Bundle
	fields := append([]string{b.Name, b.Path, b.Layout, b.Group, bs.Verdict.Status.String()}, b.Serves...)
	if leaf := bs.Leaf(); leaf != nil {
		fields = append(fields, leaf.SANs...)
	}
	return fields
}

// filterWords splits and lowercases the filter text.
func filterWords(s string) []string {
	return strings.Fields(strings.ToLower(s))
}

// matchAllWords reports whether every word (already lower case) appears
// in text (a search text, already lower case).
func matchAllWords(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}
