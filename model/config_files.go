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
	// Each file is checked once: 10,000 endpoints sharing one ca: file
	// must not read and parse it 10,000 times (it was half of what loading
	// such a config allocated).
	checked := map[string]bool{}
	once := func(kind, path string, check func(string) error) error {
		if checked[kind+"\x00"+path] {
			return nil
		}
		if err := check(path); err != nil {
			return err
		}
		checked[kind+"\x00"+path] = true
		return nil
	}
	for i, ep := range f.Endpoints {
		item := func() string { return fmt.Sprintf("endpoint %d (%s)", i+1, ep.Name) }
		if err := once("ca", ep.CAFile, CheckTrustFile); err != nil {
			return fmt.Errorf("%s: %w", source, c.lines().endpoint(i).at("ca", fmt.Errorf("%s: %w", item(), err)))
		}
		if err := once("client_cert", ep.ClientCert, checkClientCert); err != nil {
			return fmt.Errorf("%s: %w", source, c.lines().endpoint(i).at("client_cert", fmt.Errorf("%s: %w", item(), err)))
		}
		if err := once("client_key", ep.ClientKey, func(p string) error { return checkKeyFile(p, "client_key file") }); err != nil {
			return fmt.Errorf("%s: %w", source, c.lines().endpoint(i).at("client_key", fmt.Errorf("%s: %w", item(), err)))
		}
	}
	for i, b := range f.Bundles {
		if err := once("ca", b.CAFile, CheckTrustFile); err != nil {
			at := c.lines().bundle(i)
			return fmt.Errorf("%s: %w", source, at.at("ca", fmt.Errorf("bundle %d (%s): %w", i+1, b.Name, err)))
		}
	}
	for i, r := range f.Reloads {
		if key, err := checkReloadFiles(r); err != nil {
			at := c.lines().reload(i)
			return fmt.Errorf("%s: %w", source, at.at(key, fmt.Errorf("reload %d (%s): %w", i+1, r.Name, err)))
		}
	}
	return nil
}

// checkReloadFiles checks the files a reload needs before it can ever
// run: an ssh identity and known_hosts (host keys are always checked, so
// a missing known_hosts would refuse every connection), an https ca.
// A signal's pidfile is not checked: it exists only while the server
// runs, and certdeck must start while a server is down. Key bytes are
// never read here (the identity is opened and closed).
func checkReloadFiles(r Reload) (key string, err error) {
	switch r.Kind {
	case ReloadSSH:
		if err := checkKeyFile(r.SSH.Identity, "ssh identity file"); err != nil {
			return "ssh.identity", err
		}
		if r.SSH.KnownHosts != "" {
			if _, err := ReadRegularFile(r.SSH.KnownHosts, "ssh known_hosts file", MaxTrustFile); err != nil {
				return "ssh.known_hosts", fmt.Errorf("%w (host keys are always checked: add the host with ssh-keyscan, or set known_hosts:)",
					explainMissing("ssh known_hosts file", r.SSH.KnownHosts, err))
			}
		}
	case ReloadHTTP:
		if err := CheckTrustFile(r.HTTP.CA); err != nil {
			return "http.ca", err
		}
	}
	return "", nil
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
func checkKeyFile(path, what string) error {
	if path == "" {
		return nil
	}
	f, err := OpenRegularFile(path, what)
	if err != nil {
		return explainMissing(what, path, err)
	}
	return f.Close()
}

func explainMissing(what, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s does not exist", what, path)
	}
	return err
}
