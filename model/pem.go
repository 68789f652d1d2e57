package model

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// PEMContents is what one or more PEM files hold: certificates in file
// order and at most one private key. The key stays a crypto.PrivateKey and
// is never formatted: private key bytes must not reach a log or the screen.
type PEMContents struct {
	Certs   []*x509.Certificate
	Key     crypto.PrivateKey
	KeyForm string // "PKCS#1", "PKCS#8", "SEC1"; "" when no key
}

// ErrEncryptedKey is returned for passphrase-protected keys, which no
// server can load unattended and certdeck will not try to decrypt.
var ErrEncryptedKey = errors.New("private key is encrypted (passphrase-protected); certdeck needs an unencrypted key")

// ParsePEM decodes every PEM block in data. It fails on the first block it
// cannot use, naming the block by number and type; text between blocks
// (comments, "Bag Attributes") is ignored. Error messages never include
// block contents.
func ParsePEM(data []byte) (*PEMContents, error) {
	out := &PEMContents{}
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if err := out.add(n, block); err != nil {
			return nil, err
		}
	}
	if len(out.Certs) == 0 && out.Key == nil {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, errors.New("empty file")
		}
		if bytes.Contains(data, []byte("-----BEGIN")) {
			return nil, errors.New("truncated or malformed PEM block")
		}
		return nil, errors.New("no PEM data found")
	}
	return out, nil
}

func (p *PEMContents) add(n int, block *pem.Block) error {
	where := fmt.Sprintf("PEM block %d (%s)", n, pemLabel(block.Type))
	switch block.Type {
	case "CERTIFICATE", "TRUSTED CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		p.Certs = append(p.Certs, c)
		return nil
	case "ENCRYPTED PRIVATE KEY":
		return fmt.Errorf("%s: %w", where, ErrEncryptedKey)
	case "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY":
		if _, ok := block.Headers["DEK-Info"]; ok || block.Headers["Proc-Type"] == "4,ENCRYPTED" {
			return fmt.Errorf("%s: %w", where, ErrEncryptedKey)
		}
		if p.Key != nil {
			return fmt.Errorf("%s: a second private key; a bundle holds one", where)
		}
		key, form, err := parseKey(block)
		if err != nil {
			// The x509 errors describe the structure, never the bytes.
			return fmt.Errorf("%s: %w", where, err)
		}
		p.Key, p.KeyForm = key, form
		return nil
	case "EC PARAMETERS":
		return nil // openssl ecparam writes these before the key; harmless
	default:
		return fmt.Errorf("%s: unexpected block type", where)
	}
}

// pemLabel is a block's type as errors show it. The type is the file's
// text between "BEGIN " and "-----", and a key file made to fail can put
// a line of the key's base64 there: only a label shaped like RFC 7468's
// (upper-case letters, digits, spaces and hyphens, at most 40 of them)
// is shown.
func pemLabel(t string) string {
	ok := len(t) <= 40
	for i := 0; ok && i < len(t); i++ {
		c := t[i]
		ok = c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '-'
	}
	if ok {
		return t
	}
	return fmt.Sprintf("a label of %d characters, not shown", len(t))
}

func parseKey(block *pem.Block) (crypto.PrivateKey, string, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, "", errors.New("cannot parse PKCS#1 RSA private key")
		}
		return k, "PKCS#1", nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, "", errors.New("cannot parse SEC1 EC private key")
		}
		return k, "SEC1", nil
	default:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, "", errors.New("cannot parse PKCS#8 private key")
		}
		return k, "PKCS#8", nil
	}
}

// Leaf is the first certificate, or nil.
func (p *PEMContents) Leaf() *x509.Certificate {
	if len(p.Certs) == 0 {
		return nil
	}
	return p.Certs[0]
}

// KeyMatchesCert reports whether key is the private half of cert's public key.
func KeyMatchesCert(key crypto.PrivateKey, cert *x509.Certificate) bool {
	if key == nil || cert == nil {
		return false
	}
	type publicKeyer interface{ Public() crypto.PublicKey }
	pk, ok := key.(publicKeyer)
	if !ok {
		return false
	}
	switch pub := pk.Public().(type) {
	case *rsa.PublicKey:
		return pub.Equal(cert.PublicKey)
	case *ecdsa.PublicKey:
		return pub.Equal(cert.PublicKey)
	case ed25519.PublicKey:
		return pub.Equal(cert.PublicKey)
	}
	return false
}

// ChainOrderProblems checks that a chain is leaf first, then each
// certificate signed by the one after it, with no duplicates. A trailing
// self-signed root is allowed (wasteful, not wrong). Each problem is a
// sentence naming positions from 1.
func ChainOrderProblems(chain []*x509.Certificate) []string {
	var problems []string
	if len(chain) == 0 {
		return nil
	}
	if chain[0].IsCA && len(chain) > 1 {
		problems = append(problems, "certificate 1 is a CA certificate, not a leaf")
	}
	seen := map[string]int{}
	for i, c := range chain {
		key := string(c.Raw)
		if j, dup := seen[key]; dup {
			problems = append(problems, fmt.Sprintf("certificate %d repeats certificate %d", i+1, j+1))
			continue
		}
		seen[key] = i
		// A certificate followed by its own copy is reported once, as a
		// repeat, not also as "not signed by" itself.
		if i+1 < len(chain) && !bytes.Equal(chain[i+1].Raw, c.Raw) && c.CheckSignatureFrom(chain[i+1]) != nil {
			problems = append(problems, fmt.Sprintf("certificate %d (%s) is not signed by certificate %d (%s)",
				i+1, commonName(c.Subject), i+2, commonName(chain[i+1].Subject)))
		}
	}
	return problems
}

// VerifyChain verifies chain[0] using the rest of chain as intermediates,
// against roots (nil: the system roots) at time now. dnsName, when not
// empty, is checked too; pass "" to verify the chain alone.
func VerifyChain(chain []*x509.Certificate, roots *x509.CertPool, dnsName string, now time.Time) error {
	if len(chain) == 0 {
		return errors.New("no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		DNSName:       dnsName,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// ExplainVerifyError turns x509's verification errors into the short reason
// an operator needs: "expired 2026-01-02", "signed by an unknown authority
// (issuer: R3)", "not valid for name x (valid for a, b)".
func ExplainVerifyError(err error, now time.Time) string {
	if err == nil {
		return ""
	}
	var inv x509.CertificateInvalidError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	switch {
	case errors.As(err, &inv):
		switch inv.Reason {
		case x509.Expired:
			if now.After(inv.Cert.NotAfter) {
				return fmt.Sprintf("certificate %q expired %s", commonName(inv.Cert.Subject), inv.Cert.NotAfter.UTC().Format(time.DateOnly))
			}
			return fmt.Sprintf("certificate %q not valid until %s", commonName(inv.Cert.Subject), inv.Cert.NotBefore.UTC().Format(time.DateOnly))
		case x509.IncompatibleUsage:
			return fmt.Sprintf("certificate %q is not for server authentication", commonName(inv.Cert.Subject))
		}
		return inv.Error()
	case errors.As(err, &ua):
		if ua.Cert != nil {
			return fmt.Sprintf("signed by an unknown authority (issuer: %s)", commonName(ua.Cert.Issuer))
		}
		return "signed by an unknown authority"
	case errors.As(err, &hn):
		return hn.Error()
	}
	return err.Error()
}
