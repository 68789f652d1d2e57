package rotate

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"certdeck/model"
)

// listVersions returns the version directory names of a bundle, oldest
// first (by number, not by string, so v10000 sorts after v9999). Entries
// with a version name that are not directories are listed too, so a
// number is never reused; writers refuse them (checkVersionEntries) and
// readers fail to open them (openVersion).
func listVersions(bundleDir string) ([]string, error) {
	entries, err := os.ReadDir(bundleDir)
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	var out []string
	for _, e := range entries {
		if IsVersionName(e.Name()) {
			out = append(out, e.Name())
		}
	}
	slices.SortFunc(out, func(a, b string) int { return versionNumber(a) - versionNumber(b) })
	return out, nil
}

// nextVersion is one above the highest existing version, including
// versions that were renamed into place but never made current (a crash
// between rename and swap): their names are never reused.
func nextVersion(bundleDir string) (string, error) {
	vs, err := listVersions(bundleDir)
	if err != nil {
		return "", err
	}
	highest := recordedHighest(bundleDir) // a pruned highest version's number
	if len(vs) > 0 {
		highest = max(highest, versionNumber(vs[len(vs)-1]))
	}
	return versionName(highest + 1), nil
}

// loadedVersion is a version read completely through one directory handle.
type loadedVersion struct {
	name  string
	chain []*x509.Certificate
	meta  *Meta
}

// loadVersion reads and checks one version: files present, key matching
// the leaf, fullchain equal to cert + chain, and digests matching
// meta.json. It proves a version is complete before it is made current
// (rollback) or after (publish).
func loadVersion(v *Version) (*loadedVersion, error) {
	files := map[string][]byte{}
	for _, n := range []string{CertFile, ChainFile, FullchainFile, KeyFile, BundleFile, MetaFile} {
		b, err := v.ReadFile(n)
		if err != nil {
			return nil, err
		}
		files[n] = b
	}
	meta, err := ParseMeta(files[MetaFile])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.Name, err)
	}
	for n, sum := range meta.Files {
		b, ok := files[n]
		if !ok || digest(b) != sum {
			return nil, fmt.Errorf("%s: %s does not match meta.json", v.Name, n)
		}
	}
	full, err := model.ParsePEM(files[FullchainFile])
	if err != nil || len(full.Certs) == 0 {
		return nil, fmt.Errorf("%s: fullchain.pem unreadable", v.Name)
	}
	key, err := model.ParsePEM(files[KeyFile])
	if err != nil || key.Key == nil {
		// Deliberately no detail: the parser's message concerns key bytes.
		return nil, fmt.Errorf("%s: privkey.pem holds no usable key", v.Name)
	}
	if !model.KeyMatchesCert(key.Key, full.Certs[0]) {
		return nil, fmt.Errorf("%s: privkey.pem does not match fullchain.pem", v.Name)
	}
	if model.SerialHex(full.Certs[0].SerialNumber) != meta.Serial {
		return nil, fmt.Errorf("%s: certificate serial differs from meta.json", v.Name)
	}
	return &loadedVersion{name: v.Name, chain: full.Certs, meta: meta}, nil
}

// currentVersion loads the version `current` names; (nil, nil) when the
// bundle has never been published.
func currentVersion(bundleDir string) (*loadedVersion, error) {
	v, err := Open(bundleDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer v.Close()
	return loadVersion(v)
}

// currentName is the version `current` names, "" if none.
func currentName(bundleDir string) string {
	n, err := readCurrent(bundleDir)
	if err != nil {
		return ""
	}
	return n
}
