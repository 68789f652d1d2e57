package probetest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// OpenSSLTicket checks that ticket was sealed with the given halves the way
// OpenSSL-based servers (nginx, HAProxy, Apache) seal them with their
// ticket-key callbacks: key name 16 | IV 16 | AES-CBC(SSL_SESSION) |
// HMAC-SHA256 32, the MAC over everything before it, AES-128 or AES-256 by
// the key's length. It verifies the MAC, decrypts, checks the PKCS#7
// padding and that the plaintext is a DER SEQUENCE (an SSL_SESSION). A
// key whose halves were read from the wrong offsets fails the MAC. Errors
// name the step, never a key byte.
func OpenSSLTicket(ticket, aesKey, hmacKey []byte) error {
	const name, iv, mac = 16, aes.BlockSize, sha256.Size
	if len(ticket) < name+iv+aes.BlockSize+mac || (len(ticket)-name-iv-mac)%aes.BlockSize != 0 {
		return fmt.Errorf("ticket of %d bytes is not name | IV | CBC blocks | MAC", len(ticket))
	}
	h := hmac.New(sha256.New, hmacKey)
	h.Write(ticket[:len(ticket)-mac])
	if !hmac.Equal(h.Sum(nil), ticket[len(ticket)-mac:]) {
		return errors.New("MAC does not verify with this HMAC key")
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return fmt.Errorf("AES key of %d bytes: %w", len(aesKey), err)
	}
	body := ticket[name+iv : len(ticket)-mac]
	plain := make([]byte, len(body))
	cipher.NewCBCDecrypter(block, ticket[name:name+iv]).CryptBlocks(plain, body)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return errors.New("decrypts to bad padding: not this AES key")
	}
	if plain[0] != 0x30 {
		return errors.New("decrypts to something that is not an ASN.1 SSL_SESSION")
	}
	return nil
}

// TicketDial is one connection's view of session tickets.
type TicketDial struct {
	Resumed bool
	// Ticket is the last ticket the server issued on this connection (nil:
	// none) and Session the client state to resume it with.
	Ticket  []byte
	Session *tls.ClientSessionState
}

// DialTicket connects to addr over TLS (version 0: the best both ends
// have), offering offer for resumption when it is not nil, sends one
// HTTP/1.0 request and reads until the server closes, so TLS 1.3 tickets
// (sent after the handshake) are received.
func DialTicket(addr, sni string, roots *x509.CertPool, version uint16, offer *tls.ClientSessionState) (TicketDial, error) {
	cache := &ticketCache{offer: offer}
	cfg := &tls.Config{RootCAs: roots, ServerName: sni, ClientSessionCache: cache, MinVersion: tls.VersionTLS12}
	if version != 0 {
		cfg.MinVersion, cfg.MaxVersion = version, version
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return TicketDial{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\nHost: "+sni+"\r\n\r\n"); err != nil {
		return TicketDial{}, err
	}
	_, _ = io.ReadAll(c)
	d := TicketDial{Resumed: c.ConnectionState().DidResume, Session: cache.got}
	if cache.got != nil {
		d.Ticket, _, _ = cache.got.ResumptionState()
	}
	return d, nil
}

type ticketCache struct {
	offer, got *tls.ClientSessionState
}

func (c *ticketCache) Get(string) (*tls.ClientSessionState, bool) { return c.offer, c.offer != nil }

func (c *ticketCache) Put(_ string, cs *tls.ClientSessionState) {
	if cs != nil {
		c.got = cs
	}
}
