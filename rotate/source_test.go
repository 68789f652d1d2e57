package rotate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"certdeck/model"
)

// certbotLineage lays out /etc/letsencrypt-style live/ and archive/ dirs:
// live/NAME/*.pem are relative symlinks into archive/NAME/*N.pem.
func certbotLineage(t *testing.T, leafPEM, chainPEM, keyPEM []byte) string {
	t.Helper()
	base := t.TempDir()
	archive, live := filepath.Join(base, "archive", "web"), filepath.Join(base, "live", "web")
	os.MkdirAll(archive, 0o755)
	os.MkdirAll(live, 0o755)
	files := map[string][]byte{
		"cert": leafPEM, "chain": chainPEM, "fullchain": append(append([]byte{}, leafPEM...), chainPEM...), "privkey": keyPEM,
	}
	for kind, data := range files {
		if err := os.WriteFile(filepath.Join(archive, kind+"1.pem"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "..", "archive", "web", kind+"1.pem"), filepath.Join(live, kind+".pem")); err != nil {
			t.Fatal(err)
		}
	}
	return live
}

func TestLoadSourceReadsCertbotLineageAndPublishes(t *testing.T) {
	leaf := issue(t, "web.example.test")
	live := certbotLineage(t, leaf.CertPEM(), leaf.ChainPEM(), leaf.KeyPEM())
	in, err := LoadSource(live)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Fullchain, leaf.FullchainPEM()) || !bytes.Equal(in.Key, leaf.KeyPEM()) || !strings.Contains(in.Source, live) {
		t.Fatalf("LoadSource did not read the lineage (source %q)", in.Source)
	}
	in.CA = fixtures.root.RootPEM()
	s := newTestStore(t)
	res := mustPublish(t, s, "web", in)
	if res.New.Serial != model.SerialHex(leaf.Cert.SerialNumber) {
		t.Fatalf("published serial %s", res.New.Serial)
	}
}

func TestLoadSourceFallsBackToCertAndChain(t *testing.T) {
	leaf := issue(t, "web.example.test")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, CertFile), leaf.CertPEM(), 0o644)
	os.WriteFile(filepath.Join(dir, ChainFile), leaf.ChainPEM(), 0o644)
	os.WriteFile(filepath.Join(dir, KeyFile), leaf.KeyPEM(), 0o600)
	in, err := LoadSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	if in.Fullchain != nil || !bytes.Equal(in.Cert, leaf.CertPEM()) || !bytes.Equal(in.Chain, leaf.ChainPEM()) {
		t.Fatal("staging dir without fullchain.pem not read as cert + chain")
	}
	os.Remove(filepath.Join(dir, KeyFile))
	if _, err := LoadSource(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing privkey.pem: err = %v", err)
	}
	if _, err := LoadSource(""); err == nil {
		t.Fatal("empty source dir accepted")
	}
}

func TestLoadFilesRefusesHugeInputs(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.pem")
	os.WriteFile(big, bytes.Repeat([]byte("A"), MaxFileSize+1), 0o644)
	if _, err := LoadFiles(big, big, "", "", ""); err == nil || !strings.Contains(err.Error(), "larger than the 1 MiB limit") {
		t.Fatalf("err = %v, want a size refusal", err)
	}
}

func TestConcurrentWritersAreSerialisedByTheLock(t *testing.T) {
	s := newTestStore(t)
	// Nine distinct certificates: an identical republish makes no version,
	// so every publish must bring a new one for the count below to hold.
	pairs := mintPairs(t, 9)
	mustPublish(t, s, "web", inputsFor(pairs[0]))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Go(func() {
			// Each goroutine is its own Store, as separate processes would be.
			other := *s
			for i := range 2 {
				if _, err := other.Publish(t.Context(), "web", inputsFor(pairs[1+2*w+i])); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := currentTarget(t, s.BundleDir("web")); got != "v0009" {
		t.Fatalf("after 1+8 publishes current -> %s, want v0009 (a publish was lost or numbers collided)", got)
	}
	checkCurrentComplete(t, s.BundleDir("web"))
}
