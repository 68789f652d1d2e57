package model

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
)

// Caps for the files a config names: a bundle of every public root is
// about 200 KiB; a client certificate chain a few KiB.
const (
	MaxTrustFile      = 4 << 20
	MaxClientCertFile = 1 << 20
)

// checkFiles verifies, once at load, the files the config points endpoints
// and bundles at. f has its paths resolved; f.Endpoints[i] and
// f.Bundles[i] come from c.Endpoints[i] and c.Bundles[i].
func (c *Config) checkFiles(f *Fleet, source string) error {
	for i, ep := range f.Endpoints {
		at := c.lines.endpoint(i)
		item := fmt.Sprintf("endpoint %d (%s)", i+1, ep.Name)
		if err := CheckTrustFile(ep.CAFile); err != nil {
			return fmt.Errorf("%s: %w", source, at.at("ca", fmt.Errorf("%s: %w", item, err)))
		}
		if err := checkClientCert(ep.ClientCert); err != nil {
			return fmt.Errorf("%s: %w", source, at.at("client_cert", fmt.Errorf("%s: %w", item, err)))
		}
		if err := checkKeyFile(ep.ClientKey); err != nil {
			return fmt.Errorf("%s: %w", source, at.at("client_key", fmt.Errorf("%s: %w", item, err)))
		}
	}
	for i, b := range f.Bundles {
		if err := CheckTrustFile(b.CAFile); err != nil {
			at := c.lines.bundle(i)
			return fmt.Errorf("%s: %w", source, at.at("ca", fmt.Errorf("bundle %d (%s): %w", i+1, b.Name, err)))
		}
	}
	return nil
}

// CheckTrustFile checks that path ("" is the system roots: fine) is a
// regular file holding at least one PEM certificate: a ca: or --ca that
// is missing, a FIFO or a key by mistake is a configuration error.
func CheckTrustFile(path string) error {
	if path == "" {
		return nil
	}
	data, err := ReadRegularFile(path, "ca file", MaxTrustFile)
	if err != nil {
		return explainMissing("ca file", path, err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return fmt.Errorf("ca file %s holds no PEM certificate", path)
	}
	return nil
}

func checkClientCert(path string) error {
	if path == "" {
		return nil
	}
	data, err := ReadRegularFile(path, "client_cert file", MaxClientCertFile)
	if err != nil {
		return explainMissing("client_cert file", path, err)
	}
	if pc, err := ParsePEM(data); err != nil || len(pc.Certs) == 0 {
		return fmt.Errorf("client_cert file %s holds no PEM certificate", path)
	}
	return nil
}

// checkKeyFile opens and closes a private key file: the probe reads it;
// here only its existence and type are checked, so key bytes stay out of
// model's reach.
func checkKeyFile(path string) error {
	if path == "" {
		return nil
	}
	f, err := OpenRegularFile(path, "client_key file")
	if err != nil {
		return explainMissing("client_key file", path, err)
	}
	return f.Close()
}

func explainMissing(what, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s does not exist", what, path)
	}
	return err
}
