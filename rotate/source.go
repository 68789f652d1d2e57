package rotate

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadSource reads publish inputs from a directory holding certbot's file
// names: a certbot lineage (/etc/letsencrypt/live/NAME, whose entries are
// symlinks into ../../archive) or a staging directory with the same names.
// It needs privkey.pem and either fullchain.pem or cert.pem (+ chain.pem).
//
// The lineage is read through one directory handle, but certbot's links
// can still change between two reads; Publish validates the pair, so a
// mixed read during a renewal is refused (key mismatch), never published.
func LoadSource(dir string) (Inputs, error) {
	if dir == "" {
		return Inputs{}, errors.New("load source: no directory given")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Inputs{}, fmt.Errorf("load source: %w", err)
	}
	defer root.Close()
	in := Inputs{Source: "dir:" + dir}
	if abs, err := filepath.Abs(dir); err == nil {
		in.Source = "dir:" + abs
	}
	// certbot's live/ links point at ../../archive/NAME/certN.pem, outside
	// the lineage dir, so they cannot be followed inside an os.Root; read
	// by path under dir, still size-capped.
	read := func(name string) ([]byte, error) { return readCapped(filepath.Join(dir, name)) }
	if in.Key, err = read(KeyFile); err != nil {
		return Inputs{}, fmt.Errorf("load source %s: %w", dir, err)
	}
	full, ferr := read(FullchainFile)
	switch {
	case ferr == nil:
		in.Fullchain = full
	case errors.Is(ferr, fs.ErrNotExist):
		if in.Cert, err = read(CertFile); err != nil {
			return Inputs{}, fmt.Errorf("load source %s: need fullchain.pem or cert.pem: %w", dir, err)
		}
		if in.Chain, err = read(ChainFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Inputs{}, fmt.Errorf("load source %s: %w", dir, err)
		}
	default:
		return Inputs{}, fmt.Errorf("load source %s: %w", dir, ferr)
	}
	return in, nil
}

// LoadFiles reads publish inputs from named files (the rotate command's
// --cert/--key/--chain/--fullchain/--ca). Empty names are skipped.
func LoadFiles(cert, key, chain, fullchain, ca string) (Inputs, error) {
	var in Inputs
	for _, f := range []struct {
		path string
		dst  *[]byte
	}{{cert, &in.Cert}, {key, &in.Key}, {chain, &in.Chain}, {fullchain, &in.Fullchain}, {ca, &in.CA}} {
		if f.path == "" {
			continue
		}
		b, err := readCapped(f.path)
		if err != nil {
			return Inputs{}, fmt.Errorf("load inputs: %w", err)
		}
		*f.dst = b
	}
	in.Source = "files:" + firstNonEmpty(fullchain, cert)
	return in, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// readCapped reads a file of at most MaxFileSize bytes.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("read %s: %w", path, ErrFileTooLarge)
	}
	return b, nil
}
