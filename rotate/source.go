package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"certdeck/model"
)

// LoadSource reads publish inputs from a directory holding certbot's file
// names: a certbot lineage (/etc/letsencrypt/live/NAME, whose entries are
// symlinks into ../../archive) or a staging directory with the same names.
// It needs privkey.pem and either fullchain.pem or cert.pem (+ chain.pem).
//
// certbot's links can change between two reads; Publish validates the
// pair, so a mixed read during a renewal is refused (key mismatch), never
// published.
func LoadSource(dir string) (Inputs, error) {
	if dir == "" {
		return Inputs{}, errors.New("load source: no directory given")
	}
	// Stat, not open: opening a FIFO given as the source dir would block.
	if fi, err := os.Stat(dir); err != nil {
		return Inputs{}, fmt.Errorf("load source: %w", err)
	} else if !fi.IsDir() {
		return Inputs{}, fmt.Errorf("load source %s: not a directory (mode %v)", dir, fi.Mode())
	}
	var err error
	in := Inputs{Source: "dir:" + dir}
	if abs, err := filepath.Abs(dir); err == nil {
		in.Source = "dir:" + abs
	}
	// certbot's live/ links point at ../../archive/NAME/certN.pem, outside
	// the lineage dir, so they cannot be followed inside an os.Root; read
	// by path under dir, non-blocking, regular files only, size-capped.
	read := func(name string) ([]byte, error) {
		return model.ReadRegularFile(filepath.Join(dir, name), "source file", MaxFileSize)
	}
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
// --cert/--key/--chain/--fullchain/--ca). Empty names are skipped. Each is
// read through model.ReadRegularFile: a FIFO or device given by mistake
// fails at once instead of hanging a deploy hook.
func LoadFiles(cert, key, chain, fullchain, ca string) (Inputs, error) {
	var in Inputs
	for _, f := range []struct {
		path, what string
		dst        *[]byte
	}{{cert, "--cert file", &in.Cert}, {key, "--key file", &in.Key}, {chain, "--chain file", &in.Chain},
		{fullchain, "--fullchain file", &in.Fullchain}, {ca, "--ca file", &in.CA}} {
		if f.path == "" {
			continue
		}
		b, err := model.ReadRegularFile(f.path, f.what, MaxFileSize)
		if err != nil {
			return Inputs{}, fmt.Errorf("load inputs: %w", err)
		}
		*f.dst = b
	}
	in.Source = "files:" + firstNonEmpty(fullchain, cert)
	return in, nil
}

// ReadCAFile reads a file of trusted roots (`ca:`, `--ca`) the way every
// input is read: non-blocking, regular files only, capped.
func ReadCAFile(path string) ([]byte, error) {
	return model.ReadRegularFile(path, "ca file", MaxFileSize)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
