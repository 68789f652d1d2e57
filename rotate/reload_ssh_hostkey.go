package rotate

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"certdeck/model"
)

// knownHostsLimit caps a known_hosts file (a line is ~100 bytes for
// ed25519, ~600 for RSA-3072: tens of thousands of hosts).
const knownHostsLimit = 16 << 20

// knownHosts is one read of a known_hosts file. It is read at every run,
// so a line the operator adds after a refusal takes effect at the retry.
type knownHosts struct {
	check ssh.HostKeyCallback
}

func loadKnownHosts(path string) (*knownHosts, error) {
	// knownhosts.New opens the file itself; check first that it is a
	// regular file of sane size, so a FIFO or a device cannot hang the
	// reload. A missing file is an empty one: the refusal then says which
	// line to put in it.
	f, err := model.OpenRegularFile(path, "known_hosts")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cb, err := knownhosts.New()
		return &knownHosts{check: cb}, err
	case err != nil:
		return nil, err
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read known_hosts %s: %w", path, err)
	}
	if fi.Size() > knownHostsLimit {
		return nil, fmt.Errorf("read known_hosts %s: %d bytes, larger than the %d MiB limit", path, fi.Size(), knownHostsLimit>>20)
	}
	cb, err := knownhosts.New(path)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts %s: %w", path, err)
	}
	return &knownHosts{check: cb}, nil
}

// probeKey is a key no known_hosts lists (the all-zero ed25519 key): asking
// about it makes knownhosts return every key it knows for a host.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic(err)
	}
	return k
}()

// known returns the keys known_hosts lists for addr (host:port).
func (k *knownHosts) known(addr string) []knownhosts.KnownKey {
	err := k.check(addr, placeholderAddr, probeKey)
	var ke *knownhosts.KeyError
	if errors.As(err, &ke) {
		return ke.Want
	}
	return nil
}

// placeholderAddr stands for the remote address in a lookup: knownhosts
// matches the host name it is given and only parses the address.
var placeholderAddr net.Addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}

// algorithmsFor is the host key algorithms to offer for addr: those of
// the keys known_hosts lists for it, in file order, or nil (the library's
// default) for an unknown host, whose key is then shown in the refusal.
func (k *knownHosts) algorithmsFor(addr string) []string {
	var algos []string
	seen := map[string]bool{}
	for _, kk := range k.known(addr) {
		t := kk.Key.Type()
		names := []string{t}
		if t == ssh.KeyAlgoRSA {
			// An RSA key signs with SHA-2 first; OpenSSH ≥ 8.8 refuses ssh-rsa (SHA-1).
			names = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				algos = append(algos, n)
			}
		}
	}
	return algos
}

// hostKeyCheck verifies the server's key and keeps the refusal, so the
// caller reports it rather than the handshake's generic wrapping.
type hostKeyCheck struct {
	k       *knownHosts
	addr    string
	file    string
	refused error
}

func (k *knownHosts) callback(addr, file string) *hostKeyCheck {
	return &hostKeyCheck{k: k, addr: addr, file: file}
}

func (h *hostKeyCheck) verify(hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := h.k.check(hostname, remote, key)
	if err == nil {
		return nil
	}
	h.refused = hostKeyRefusal(h.addr, h.file, key, err)
	return h.refused
}

// hostKeyRefusal explains a refused host key so the operator can act:
// the fingerprint to compare out of band (ssh-keygen -lf on the server
// prints the same SHA256: form) and the exact known_hosts line to add. A
// key is never accepted on certdeck's own authority.
func hostKeyRefusal(addr, file string, key ssh.PublicKey, err error) error {
	fp := key.Type() + " " + ssh.FingerprintSHA256(key)
	entry := knownhosts.Normalize(addr)
	line := knownhosts.Line([]string{addr}, key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("host key %s of %s is marked @revoked in %s:%d: refusing to connect", fp, entry, re.Revoked.Filename, re.Revoked.Line)
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return fmt.Errorf("host key not known: the server presented %s, and %s lists no key for %s; certdeck never accepts a new host key by itself: compare the fingerprint with the server's (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub there), then add this line to %s: %s",
			fp, file, entry, keyFileName(key), file, line)
	case errors.As(err, &ke):
		want := ke.Want[0]
		for _, w := range ke.Want {
			if w.Key.Type() == key.Type() {
				want = w // the line the presented key contradicts
				break
			}
		}
		return fmt.Errorf("HOST KEY CHANGED: the server presented %s, but %s:%d lists %s %s for %s; someone may be intercepting the connection, or the server was reinstalled; if you verified the new fingerprint with the server's administrator, replace that line with: %s",
			fp, want.Filename, want.Line, want.Key.Type(), ssh.FingerprintSHA256(want.Key), entry, line)
	}
	return fmt.Errorf("host key %s of %s: %w", fp, entry, err)
}

// keyFileName is the part of /etc/ssh/ssh_host_*_key.pub for a key type.
func keyFileName(key ssh.PublicKey) string {
	switch key.Type() {
	case ssh.KeyAlgoED25519:
		return "ed25519"
	case ssh.KeyAlgoRSA:
		return "rsa"
	}
	return "ecdsa"
}
