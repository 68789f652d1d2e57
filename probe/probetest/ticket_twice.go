package probetest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// TwoTicketsServer serves TLS 1.3 with cfg and hands out every session
// ticket twice, as OpenSSL servers send two per connection (nginx,
// HAProxy, Dovecot): a Go server sends one and has no way to send more
// over TCP. A proxy in front of the server learns its traffic secrets
// from cfg.KeyLogWriter (which it sets), decrypts the records the server
// sends once the handshake is over, sends a NewSessionTicket record twice
// and re-encrypts what follows with the sequence numbers moved on. cfg
// must allow TLS 1.3 only; a config GetConfigForClient returns gets the
// same KeyLogWriter.
func TwoTicketsServer(t testing.TB, cfg *tls.Config) *Server {
	t.Helper()
	keys := &keyLog{secrets: map[string][]byte{}}
	cfg = cfg.Clone()
	cfg.KeyLogWriter = keys
	if get := cfg.GetConfigForClient; get != nil {
		// A per-connection config must log its secrets too.
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := get(hello)
			if c != nil {
				c = c.Clone()
				c.KeyLogWriter = keys
			}
			return c, err
		}
	}
	return Serve(t, func(client net.Conn) {
		inner, server := net.Pipe()
		go ServeTLS(server, cfg)
		defer inner.Close()
		random := make(chan []byte, 1)
		go func() {
			// Client to server unchanged; the ClientHello's random names
			// the connection in the key log.
			var hello [43]byte
			if _, err := io.ReadFull(client, hello[:]); err != nil {
				random <- nil
				inner.Close()
				return
			}
			random <- bytes.Clone(hello[11:43])
			if _, err := inner.Write(hello[:]); err == nil {
				_, _ = io.Copy(inner, client)
			}
			inner.Close()
		}()
		_ = doubleTickets(client, inner, keys, random)
		client.Close()
	})
}

// doubleTickets copies the server's records from server to client,
// sending each NewSessionTicket twice.
func doubleTickets(client io.Writer, server io.Reader, keys *keyLog, random <-chan []byte) error {
	var cr []byte
	var suite uint16
	var hs, app *recordKey
	var inSeq, outSeq uint64
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(server, hdr[:]); err != nil {
			return err
		}
		body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
		if _, err := io.ReadFull(server, body); err != nil {
			return err
		}
		record := append(hdr[:], body...)
		switch {
		case hdr[0] == 22 && suite == 0 && len(body) > 40: // ServerHello: its cipher suite
			cr = <-random
			sid := int(body[38])
			if len(body) < 41+sid {
				return errors.New("short ServerHello")
			}
			suite = binary.BigEndian.Uint16(body[39+sid:])
		case hdr[0] == 23 && app == nil:
			if hs == nil {
				hs = keys.key(suite, "SERVER_HANDSHAKE_TRAFFIC_SECRET", cr)
			}
			if _, ok := hs.open(inSeq, record); ok {
				inSeq++ // still the handshake: passed on as it is
				break
			}
			app, inSeq = keys.key(suite, "SERVER_TRAFFIC_SECRET_0", cr), 0
			fallthrough
		case hdr[0] == 23 && app != nil:
			plain, ok := app.open(inSeq, record)
			if !ok {
				return errors.New("cannot decrypt the server's record")
			}
			inSeq++
			record = app.seal(outSeq, plain)
			outSeq++
			if len(plain) > 1 && plain[len(plain)-1] == 22 && plain[0] == 4 { // NewSessionTicket
				if _, err := client.Write(record); err != nil {
					return err
				}
				record = app.seal(outSeq, plain)
				outSeq++
			}
		}
		if _, err := client.Write(record); err != nil {
			return err
		}
	}
}

// keyLog collects the server's traffic secrets by client random.
type keyLog struct {
	mu      sync.Mutex
	secrets map[string][]byte
}

func (k *keyLog) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimSpace(string(p)), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 {
			secret, _ := hex.DecodeString(f[2])
			k.secrets[f[0]+" "+f[1]] = secret
		}
	}
	return len(p), nil
}

// recordKey protects TLS 1.3 records of one direction and epoch.
type recordKey struct {
	aead cipher.AEAD
	iv   []byte
}

func (k *keyLog) key(suite uint16, label string, clientRandom []byte) *recordKey {
	k.mu.Lock()
	secret := k.secrets[label+" "+hex.EncodeToString(clientRandom)]
	k.mu.Unlock()
	h, size := sha256.New, 16
	switch suite {
	case tls.TLS_AES_256_GCM_SHA384:
		h, size = func() hash.Hash { return sha512.New384() }, 32
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		size = 32
	}
	key, iv := expandLabel(h, secret, "key", size), expandLabel(h, secret, "iv", 12)
	var aead cipher.AEAD
	if suite == tls.TLS_CHACHA20_POLY1305_SHA256 {
		aead, _ = chacha20poly1305.New(key)
	} else {
		block, _ := aes.NewCipher(key)
		aead, _ = cipher.NewGCM(block)
	}
	return &recordKey{aead: aead, iv: iv}
}

// expandLabel is HKDF-Expand-Label (RFC 8446, 7.1) with an empty context.
func expandLabel(h func() hash.Hash, secret []byte, label string, n int) []byte {
	full := "tls13 " + label
	info := append([]byte{byte(n >> 8), byte(n), byte(len(full))}, full...)
	out, _ := hkdf.Expand(h, secret, string(append(info, 0)), n)
	return out
}

func (r *recordKey) nonce(seq uint64) []byte {
	n := bytes.Clone(r.iv)
	for i := range 8 {
		n[len(n)-1-i] ^= byte(seq >> (8 * i))
	}
	return n
}

// open decrypts a record and returns its inner plaintext (content, then
// the content type; Go adds no padding).
func (r *recordKey) open(seq uint64, record []byte) ([]byte, bool) {
	if r == nil || r.aead == nil {
		return nil, false
	}
	plain, err := r.aead.Open(nil, r.nonce(seq), record[5:], record[:5])
	return plain, err == nil
}

func (r *recordKey) seal(seq uint64, plain []byte) []byte {
	n := len(plain) + r.aead.Overhead()
	hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	return r.aead.Seal(hdr, r.nonce(seq), plain, hdr)
}
