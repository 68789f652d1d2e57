package rotate

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/demo/pki"
)

// mintPairs mints n distinct leaves for the same name; tests cycle through
// them instead of minting per publish.
func mintPairs(t testing.TB, n int) []*pki.Leaf {
	t.Helper()
	out := make([]*pki.Leaf, n)
	for i := range out {
		out[i] = issue(t, "torture.example.test")
	}
	return out
}

// pairIndex maps the exact bytes of each certificate and key file to the
// pair they belong to, so a reader can classify a read without parsing.
type pairIndex struct{ cert, key map[string]int }

func indexPairs(pairs []*pki.Leaf) pairIndex {
	ix := pairIndex{cert: map[string]int{}, key: map[string]int{}}
	for i, p := range pairs {
		ix.cert[string(p.CertPEM())] = i
		ix.key[string(p.KeyPEM())] = i
	}
	return ix
}

// readCounts tallies what readers saw.
type readCounts struct {
	reads, mismatched, failed atomic.Int64
	mu                        sync.Mutex
	firstErrors               []string // a few failure reasons (paths and errnos, never contents)
}

// classify records one (cert, key) read.
func (c *readCounts) classify(ix pairIndex, cert, key []byte, err error) {
	c.reads.Add(1)
	if err != nil {
		c.failed.Add(1)
		c.mu.Lock()
		if len(c.firstErrors) < 5 {
			c.firstErrors = append(c.firstErrors, err.Error())
		}
		c.mu.Unlock()
		return
	}
	ci, okc := ix.cert[string(cert)]
	ki, okk := ix.key[string(key)]
	switch {
	case !okc || !okk:
		c.failed.Add(1) // torn or unknown content
	case ci != ki:
		c.mismatched.Add(1)
	}
}

const tortureVersions = 1000

func TestPublishNeverExposesHalfBundle(t *testing.T) {
	pairs := mintPairs(t, 4)
	ix := indexPairs(pairs)
	s := newTestStore(t)
	s.AuditLog = "-"
	// Retention runs during the torture: any reader stalled for less than
	// the grace (on a loaded 2-core machine with -race, stalls of a few
	// hundred ms happen) must still complete its reads.
	s.PruneGrace = 2 * time.Second
	dir := s.BundleDir("torture")
	mustPublish(t, s, "torture", inputsFor(pairs[0]))

	var counts readCounts
	stopReaders := startReaders(2, func() {
		// Readers must not starve the writer of CPU on a small shared
		// machine; they still read thousands of times per second, many
		// times per publish.
		time.Sleep(50 * time.Microsecond)
		v, err := Open(dir)
		if err != nil {
			counts.classify(ix, nil, nil, err)
			return
		}
		cert, err1 := v.ReadFile(CertFile)
		key, err2 := v.ReadFile(KeyFile)
		v.Close()
		counts.classify(ix, cert, key, errors.Join(err1, err2))
	})
	start := time.Now()
	for i := 1; i <= tortureVersions; i++ {
		if _, err := s.Publish(t.Context(), "torture", inputsFor(pairs[i%len(pairs)])); err != nil {
			stopReaders()
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	elapsed := time.Since(start)
	stopReaders()
	if vs, _ := listVersions(dir); len(vs) >= tortureVersions {
		t.Errorf("retention never ran during the torture: %d versions", len(vs))
	}
	t.Logf("store: %d publishes in %v, %d reads: %d mismatched pairs, %d failed reads",
		tortureVersions, elapsed.Round(time.Millisecond), counts.reads.Load(), counts.mismatched.Load(), counts.failed.Load())
	if counts.reads.Load() < tortureVersions {
		t.Fatalf("only %d reads: readers did not overlap the writer", counts.reads.Load())
	}
	if m, f := counts.mismatched.Load(), counts.failed.Load(); m != 0 || f != 0 {
		t.Fatalf("readers saw %d mismatched pairs and %d failed reads (first errors: %q)", m, f, counts.firstErrors)
	}
}

// TestPerFileRelinkExposesMixedPairs is the demonstration of why the store
// exists: certbot-style renewal re-links cert.pem and privkey.pem one at a
// time (unlink, then symlink), and readers that open files by path catch
// a new certificate with an old key.
func TestPerFileRelinkExposesMixedPairs(t *testing.T) {
	pairs := mintPairs(t, 4)
	ix := indexPairs(pairs)
	base := t.TempDir()
	archive, live := filepath.Join(base, "archive"), filepath.Join(base, "live")
	os.Mkdir(archive, 0o755)
	os.Mkdir(live, 0o755)
	for i, p := range pairs {
		os.WriteFile(filepath.Join(archive, certbotName("cert", i)), p.CertPEM(), 0o644)
		os.WriteFile(filepath.Join(archive, certbotName("privkey", i)), p.KeyPEM(), 0o600)
	}
	relink := func(i int) {
		for _, kind := range []string{"cert", "privkey"} {
			link := filepath.Join(live, kind+".pem")
			// What certbot's lineage update does: remove, then re-create.
			os.Remove(link)
			if err := os.Symlink(filepath.Join("..", "archive", certbotName(kind, i)), link); err != nil {
				t.Error(err)
			}
		}
	}
	relink(0)

	var counts readCounts
	stopReaders := startReaders(2, func() {
		cert, err1 := os.ReadFile(filepath.Join(live, "cert.pem"))
		key, err2 := os.ReadFile(filepath.Join(live, "privkey.pem"))
		counts.classify(ix, cert, key, errors.Join(err1, err2))
	})
	// At least as many renewals as the store test; continue (bounded)
	// until a mixed pair shows up, since scheduling decides when it does.
	deadline := time.Now().Add(20 * time.Second)
	i := 1
	for ; i <= tortureVersions || (counts.mismatched.Load() == 0 && time.Now().Before(deadline)); i++ {
		relink(i % len(pairs))
	}
	stopReaders()
	t.Logf("certbot-style per-file relink: %d renewals, %d reads: %d mismatched pairs, %d failed reads",
		i-1, counts.reads.Load(), counts.mismatched.Load(), counts.failed.Load())
	if counts.mismatched.Load() == 0 {
		t.Fatal("no mixed pair observed: the demonstration did not reproduce the race")
	}
}

// startReaders runs read in a loop on n goroutines until the returned stop
// is called; stop waits for them.
func startReaders(n int, read func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				read()
			}
		})
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

func certbotName(kind string, i int) string {
	return kind + string(rune('1'+i)) + ".pem"
}
