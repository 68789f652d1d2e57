package model

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"slices"
	"time"
)

// CertInfo is everything on-call needs from one certificate, as plain values
// (no parsed x509 object, so state can be copied, compared and encoded).
type CertInfo struct {
	Subject   string    `json:"subject"`
	SubjectCN string    `json:"-"`
	SANs      []string  `json:"sans"` // DNS names, then IP addresses
	Issuer    string    `json:"issuer"`
	IssuerCN  string    `json:"-"`
	Serial    string    `json:"serial"` // SerialHex form
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Key       string    `json:"key"` // "ECDSA P-256", "RSA 2048", "Ed25519"
	SigAlg    string    `json:"sig_alg"`
	SHA256    string    `json:"sha256"` // fingerprint of the DER, lowercase hex
	IsCA      bool      `json:"is_ca,omitempty"`
}

// DescribeCert summarises a parsed certificate.
func DescribeCert(c *x509.Certificate) CertInfo {
	sum := sha256.Sum256(c.Raw)
	info := CertInfo{
		Subject:   c.Subject.String(),
		SubjectCN: commonName(c.Subject),
		Issuer:    c.Issuer.String(),
		IssuerCN:  commonName(c.Issuer),
		Serial:    SerialHex(c.SerialNumber),
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
		Key:       KeyDescription(c.PublicKey),
		SigAlg:    c.SignatureAlgorithm.String(),
		SHA256:    hex.EncodeToString(sum[:]),
		IsCA:      c.IsCA,
	}
	info.SANs = append(info.SANs, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		info.SANs = append(info.SANs, ip.String())
	}
	return info
}

// SerialHex renders a serial the way `openssl x509 -serial` does, lowercased:
// the whole bytes of the integer in hex with no colons. big.Int.Text(16)
// would drop a leading zero nibble ("8d27b" instead of "08d27b"), and the
// serial must match what operators paste from openssl.
func SerialHex(n *big.Int) string {
	if n == nil {
		return ""
	}
	b := new(big.Int).Abs(n).Bytes()
	s := hex.EncodeToString(b)
	if len(b) == 0 {
		s = "00"
	}
	if n.Sign() < 0 {
		return "-" + s
	}
	return s
}

// ShortKeyName is a ticket key name by its last 8 hex digits ("…3bbac413"),
// for reasons, events and plans: the console's tables show key names by
// their end too (SerialTail), so every short form of one key reads the
// same. Key names are 16 random bytes (OpenSSL and certdeck make them with
// a CSPRNG), so 32 bits tell the few a server uses apart; serials are not
// random (CAs issue them in sequence) and are shown by as many end digits
// as tell them apart.
func ShortKeyName(s string) string {
	if len(s) <= 8 {
		return s
	}
	return "…" + s[len(s)-8:]
}

// KeyDescription names a public key's algorithm and size.
func KeyDescription(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", pub)
	}
}

// DaysLeft is the number of whole days until notAfter, rounded down; it is
// negative once the certificate has expired (-1 on the first day after).
func DaysLeft(notAfter, now time.Time) int {
	return int(math.Floor(notAfter.Sub(now).Hours() / 24))
}

func commonName(n pkix.Name) string {
	if n.CommonName != "" {
		return n.CommonName
	}
	if len(n.Organization) > 0 {
		return n.Organization[0]
	}
	return n.String()
}

// MissingNames lists the names in before that after lacks, in before's
// order: a renewal that silently drops a host name breaks that host, and
// the publish dialog shows names added and removed.
func MissingNames(before, after []string) []string {
	var out []string
	for _, n := range before {
		if !slices.Contains(after, n) {
			out = append(out, n)
		}
	}
	return out
}
