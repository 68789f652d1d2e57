package rotate

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// fakeSSHD is an in-process SSH server on 127.0.0.1 for the ssh reload's
// unit tests: real host keys and public-key auth from x/crypto/ssh, and a
// scripted "exec" that records the command line and answers as told.
type fakeSSHD struct {
	addr     string
	hostKeys []ssh.Signer
	reply    func(cmd string) (stderr string, status uint32, delay time.Duration)
	// ignoreSignals makes a slow command ignore signal requests, as
	// OpenSSH does in root logins.
	ignoreSignals bool

	mu       sync.Mutex
	commands []string
	ln       net.Listener
	wg       sync.WaitGroup
}

func newSigner(t testing.TB, kind string) ssh.Signer {
	t.Helper()
	var key any
	switch kind {
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	case "ecdsa":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startFakeSSHD serves until the test ends; authorized is the one client
// key it accepts.
func startFakeSSHD(t testing.TB, authorized ssh.PublicKey, hostKeys ...ssh.Signer) *fakeSSHD {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSSHD{addr: ln.Addr().String(), hostKeys: hostKeys, ln: ln,
		reply: func(string) (string, uint32, time.Duration) { return "", 0, 0 }}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(k.Marshal(), authorized.Marshal()) {
				return nil, nil
			}
			return nil, errUnauthorized
		},
	}
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() { defer f.wg.Done(); f.serve(c, cfg) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

var errUnauthorized = &net.AddrError{Err: "key not authorized"}

func (f *fakeSSHD) serve(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go f.session(ch, chReqs)
	}
}

func (f *fakeSSHD) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" || len(req.Payload) < 4 {
			req.Reply(false, nil)
			continue
		}
		n := binary.BigEndian.Uint32(req.Payload)
		cmd := string(req.Payload[4 : 4+n])
		req.Reply(true, nil)
		f.mu.Lock()
		f.commands = append(f.commands, cmd)
		f.mu.Unlock()
		stderr, status, delay := f.reply(cmd)
		if delay > 0 {
			// Wait like a slow command; a signal request kills it, as
			// OpenSSH does for a non-root login.
			select {
			case <-time.After(delay):
			case sig, ok := <-signalled(reqs, f.ignoreSignals):
				if ok {
					ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
						Signal     string
						CoreDumped bool
						Msg, Lang  string
					}{Signal: sig}))
				}
				return
			}
		}
		ch.Stderr().Write([]byte(stderr))
		ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, status))
		return
	}
}

// signalled delivers the name of the first signal request, or is closed
// when the client closes the channel or the connection without one.
func signalled(reqs <-chan *ssh.Request, ignore bool) <-chan string {
	sig := make(chan string, 1)
	go func() {
		defer close(sig)
		for r := range reqs {
			if r.Type == "signal" && len(r.Payload) > 4 && !ignore {
				sig <- string(r.Payload[4:])
				return
			}
		}
	}()
	return sig
}

func (f *fakeSSHD) ran() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

func (f *fakeSSHD) port() int {
	_, p, _ := net.SplitHostPort(f.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// writeKnownHosts writes a known_hosts listing keys for the fake's
// address ([127.0.0.1]:PORT, as OpenSSH writes non-22 ports).
func writeKnownHosts(t testing.TB, addr string, keys ...ssh.PublicKey) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# certdeck test\n")
	for _, k := range keys {
		b.WriteString(knownhosts.Line([]string{addr}, k) + "\n")
	}
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeIdentity writes a client key in OpenSSH format, 0600.
func writeIdentity(t testing.TB, key any, passphrase string) string {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(key, "certdeck test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(key, "certdeck test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
