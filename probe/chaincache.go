package probe

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"certdeck/model"
)

// verifyReuse bounds how long one chain's verification is reused. Within
// it a result is reused only while no certificate the server sent crosses
// its NotBefore or NotAfter (see chainResult.usable), so the one thing
// that can change unseen is a root of the pool expiring: that shows
// within verifyReuse.
const verifyReuse = time.Minute

// chainCacheMax bounds the entries kept; past it, entries no longer
// usable are dropped, and if that frees nothing the cache starts over.
const chainCacheMax = 4096

// chainCache verifies each distinct chain once and hands the result to
// every endpoint serving it: the endpoints of a pool, and every name a
// wildcard certificate covers, send the same chain, and in a round over
// 2,000 endpoints of one nginx the chain verification (two ECDSA
// signature checks: x509's own and the order check) was a third of the
// probe's CPU. What is shared depends only on the chain as sent, the trust
// roots and the time: the certificates described, the order problems and
// the verification outcome. The host name is checked per endpoint
// (verifyServed), so names a wildcard covers share one entry.
//
// Entries are computed once even when many probes ask at the same moment
// (the first computes, the others wait for it).
type chainCache struct {
	mu      sync.Mutex
	entries map[chainKey]*chainResult
}

// chainKey names a chain as sent and the roots it is verified against.
// The roots are compared by identity: pools come from ProbeOptions.Roots or
// from material, which builds a new pool whenever a ca: file changes.
type chainKey struct {
	sum      [sha256.Size]byte // of every certificate's DER, length-prefixed, in order
	roots    *x509.CertPool
	rootsErr string
}

// chainResult is one chain's verification. ready is closed once the
// fields are set; they are read-only afterwards.
type chainResult struct {
	ready       chan struct{}
	described   []model.CertInfo // full capacity: appending copies
	problems    []string
	verified    bool
	verifyError string
	// checkedAt and until bound when the result holds: from the time it
	// was computed to the first validity boundary of a sent certificate
	// after it, at most verifyReuse later.
	checkedAt, until time.Time
}

func newChainCache() *chainCache { return &chainCache{entries: map[chainKey]*chainResult{}} }

// verify returns the verification of chain against roots at now,
// computing it when no usable result is cached.
func (c *chainCache) verify(chain []*x509.Certificate, roots *x509.CertPool, rootsErr string, now time.Time) *chainResult {
	key := chainKey{sum: chainSum(chain), roots: roots, rootsErr: rootsErr}
	c.mu.Lock()
	if r, ok := c.entries[key]; ok {
		c.mu.Unlock()
		<-r.ready
		if r.usable(now) {
			return r
		}
		c.mu.Lock()
		if c.entries[key] == r {
			delete(c.entries, key)
		}
	}
	r := &chainResult{ready: make(chan struct{})}
	if len(c.entries) >= chainCacheMax {
		c.prune(now)
	}
	c.entries[key] = r
	c.mu.Unlock()
	r.compute(chain, roots, rootsErr, now)
	close(r.ready)
	return r
}

// prune drops what can no longer be used; if everything still can, it
// drops everything (a fleet with more distinct chains than chainCacheMax
// then verifies some twice, never wrongly). Called with mu held.
func (c *chainCache) prune(now time.Time) {
	for k, r := range c.entries {
		select {
		case <-r.ready:
			if !r.usable(now) {
				delete(c.entries, k)
			}
		default: // being computed: keep
		}
	}
	if len(c.entries) >= chainCacheMax {
		clear(c.entries)
	}
}

// usable reports whether the result still holds at now. A clock that
// went backwards (a test's fake clock) recomputes.
func (r *chainResult) usable(now time.Time) bool {
	return !now.Before(r.checkedAt) && now.Before(r.until)
}

func (r *chainResult) compute(chain []*x509.Certificate, roots *x509.CertPool, rootsErr string, now time.Time) {
	r.checkedAt, r.until = now, now.Add(verifyReuse)
	r.described = make([]model.CertInfo, 0, len(chain))
	for _, cert := range chain {
		r.described = append(r.described, model.DescribeCert(cert))
		// Expiry and validity start are judged at now: the result must not
		// outlive the next moment either changes for any sent certificate.
		for _, t := range []time.Time{cert.NotBefore, cert.NotAfter.Add(time.Nanosecond)} {
			if t.After(now) && t.Before(r.until) {
				r.until = t
			}
		}
	}
	r.described = slices.Clip(r.described)
	if len(chain) == 0 {
		return
	}
	r.problems = model.ChainOrderProblems(chain)
	if rootsErr != "" {
		// The ca: file could not be read: say so rather than blame the
		// server's chain for failing against the system roots.
		r.verifyError = rootsErr
	} else if err := model.VerifyChain(chain, roots, "", now); err != nil {
		r.verifyError = model.ExplainVerifyError(err, now)
	} else {
		r.verified = true
	}
}

// chainSum hashes the DER of each certificate with its length, so two
// chains hash alike only when they are the same certificates in the same
// order.
func chainSum(chain []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	var n [4]byte
	for _, c := range chain {
		binary.BigEndian.PutUint32(n[:], uint32(len(c.Raw)))
		h.Write(n[:])
		h.Write(c.Raw)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
