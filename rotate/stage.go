package rotate

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Leftover prefixes: entries a crashed writer may leave in a bundle
// directory. Only a writer holding the lock removes them, so a live
// writer's staging dir is never swept from under it.
const (
	stagingPrefix  = ".staging-"
	tempLinkPrefix = ".current.tmp-"
	prunePrefix    = ".prune-"
)

// File modes. Keys (and bundle.pem, which holds the key) are 0600 from the
// moment the file exists: they are created with that mode, never chmodded
// afterwards, so no window exists in which another user could open them.
const (
	publicMode  os.FileMode = 0o644
	privateMode os.FileMode = 0o600
	versionMode os.FileMode = 0o755
)

// openFile is os.OpenFile; tests replace it to record the flags and mode
// every staged file is created with.
var openFile = os.OpenFile

// stagedFile is one file of a version with its mode.
type stagedFile struct {
	name string
	mode os.FileMode
	data []byte
}

// versionFiles renders the candidate as the files of a version directory.
func versionFiles(c *candidate) []stagedFile {
	leafPEM := encodeCerts(c.chain[0])
	chainPEM := encodeCerts(c.chain[1:]...)
	full := encodeCerts(c.chain...)
	bundle := append(append([]byte{}, c.keyPEM...), full...)
	return []stagedFile{
		{CertFile, publicMode, leafPEM},
		{ChainFile, publicMode, chainPEM},
		{FullchainFile, publicMode, full},
		{KeyFile, privateMode, c.keyPEM},
		{BundleFile, privateMode, bundle},
	}
}

// stage writes a complete version into a fresh .staging-* directory of
// bundleDir: every file created O_EXCL with its final mode, written,
// fsynced; meta.json last; then the directory itself fsynced. The returned
// directory is complete and durable, ready to be renamed into place. On
// error it is removed: a full disk must not fill up further with every
// retry.
func stage(bundleDir string, files []stagedFile, meta func(map[string][]byte) *Meta) (_ string, err error) {
	dir, err := makeStagingDir(bundleDir)
	if err != nil {
		return "", err
	}
	// dir is not a named result: `return "", err` would clear it before
	// this runs, and the half-written staging dir would stay behind.
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	contents := map[string][]byte{}
	for _, f := range files {
		contents[f.name] = f.data
	}
	mj, err := json.MarshalIndent(meta(contents), "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode meta.json: %w", err)
	}
	all := append(files, stagedFile{MetaFile, publicMode, append(mj, '\n')})
	if err := writeAllSynced(dir, all); err != nil {
		return "", err
	}
	return dir, nil
}

// writeAllSynced creates and writes every file, then fsyncs them and the
// directory concurrently before returning. Concurrent fsyncs of files written
// together let the filesystem commit them in one journal transaction
// instead of one after another, which is most of a publish's latency.
func writeAllSynced(dir string, files []stagedFile) error {
	opened := make([]*os.File, 0, len(files))
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	for _, sf := range files {
		f, err := createWrite(filepath.Join(dir, sf.name), sf.data, sf.mode)
		if err != nil {
			return err
		}
		opened = append(opened, f)
	}
	errs := make([]error, len(opened))
	var wg sync.WaitGroup
	for i, f := range opened {
		wg.Go(func() {
			if err := f.Sync(); err != nil {
				errs[i] = fmt.Errorf("sync %s: %w", filepath.Base(f.Name()), err)
			}
		})
	}
	// The staging directory's own entries are synced in the same batch:
	// all of it must be durable before the rename, not in any order.
	var dirErr error
	wg.Go(func() { dirErr = syncDir(dir) })
	wg.Wait()
	return errors.Join(append(errs, dirErr)...)
}

// createWrite creates path (which must not exist) with mode and writes
// data; the caller syncs and closes it.
func createWrite(path string, data []byte, mode os.FileMode) (*os.File, error) {
	f, err := openFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return f, nil
}

// makeStagingDir creates a uniquely named directory with the version mode
// directly (os.MkdirTemp would create 0700 and need a chmod).
func makeStagingDir(parent string) (string, error) {
	for range 100 {
		dir := filepath.Join(parent, stagingPrefix+randomSuffix())
		err := os.Mkdir(dir, versionMode)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("create staging dir: %w", err)
		}
	}
	return "", errors.New("create staging dir: no free name")
}

// encodeCerts PEM-encodes certificates from their DER, so whatever text
// surrounded them in the inputs is not carried into the published files.
func encodeCerts(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// removeLeftovers deletes what crashed writers left behind: staging dirs,
// temporary links and half-pruned versions. The caller holds the lock.
func removeLeftovers(bundleDir string) error {
	entries, err := os.ReadDir(bundleDir)
	if err != nil {
		return fmt.Errorf("scan for leftovers: %w", err)
	}
	removed := false
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, stagingPrefix) || strings.HasPrefix(n, tempLinkPrefix) || strings.HasPrefix(n, prunePrefix) ||
			strings.HasPrefix(n, markTempPrefix) || strings.HasPrefix(n, highestTmpPrefix) {
			if err := os.RemoveAll(filepath.Join(bundleDir, n)); err != nil {
				return fmt.Errorf("remove leftover %s: %w", n, err)
			}
			removed = true
		}
	}
	if removed {
		return syncDir(bundleDir)
	}
	return nil
}
