// Package pki mints private certificate authorities and leaf certificates
// with chosen serials, names, key types and validity windows. The demo fleet
// uses it to build its world at start, and every test in the project uses it
// to generate fixtures at test time instead of checking in certificates that
// would expire.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// KeyType selects the algorithm of a generated key.
type KeyType int

const (
	ECDSAP256 KeyType = iota // default: fast to generate and to handshake
	ECDSAP384
	RSA2048
	Ed25519
)

// CA is a certificate authority that can issue leaves and intermediates.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Chain holds the authorities above this one, nearest first, excluding
	// the self-signed root. It is empty for a root.
	Chain []*x509.Certificate
	root  *x509.Certificate
}

// Leaf is an issued end-entity certificate with its key and the
// intermediates a server must send after it.
type Leaf struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate // intermediates, nearest first
}

// Options describes a certificate to mint. Zero values pick sensible
// defaults: a random 16-byte serial, valid from one hour ago for 90 days,
// an ECDSA P-256 key.
type Options struct {
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	Serial     *big.Int
	NotBefore  time.Time
	NotAfter   time.Time
	KeyType    KeyType
	// Key reuses an existing key instead of generating one (renewal with the
	// same key, or deliberately mismatched pairs in tests).
	Key crypto.Signer
}

// NewCA mints a self-signed root valid for ten years around now.
func NewCA(name string) (*CA, error) {
	key, err := newKey(ECDSAP256)
	if err != nil {
		return nil, err
	}
	tmpl := caTemplate(name, 10)
	cert, err := sign(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("mint CA %q: %w", name, err)
	}
	return &CA{Cert: cert, Key: key, root: cert}, nil
}

// Intermediate mints a subordinate CA signed by ca.
func (ca *CA) Intermediate(name string) (*CA, error) {
	key, err := newKey(ECDSAP256)
	if err != nil {
		return nil, err
	}
	cert, err := sign(caTemplate(name, 5), ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("mint intermediate %q: %w", name, err)
	}
	chain := []*x509.Certificate{}
	if !isSelfSigned(ca.Cert) {
		chain = append(chain, ca.Cert)
	}
	chain = append(chain, ca.Chain...)
	return &CA{Cert: cert, Key: key, Chain: chain, root: ca.root}, nil
}

// Issue mints a server (and client) certificate signed by ca.
func (ca *CA) Issue(o Options) (*Leaf, error) {
	leaf, err := issue(o, ca.Cert, ca.Key)
	if err != nil {
		return nil, err
	}
	if !isSelfSigned(ca.Cert) {
		leaf.Chain = append(leaf.Chain, ca.Cert)
	}
	leaf.Chain = append(leaf.Chain, ca.Chain...)
	return leaf, nil
}

// SelfSigned mints a leaf that signs itself (a certificate no root trusts).
func SelfSigned(o Options) (*Leaf, error) {
	return issue(o, nil, nil)
}

func issue(o Options, parent *x509.Certificate, parentKey crypto.Signer) (*Leaf, error) {
	key := o.Key
	if key == nil {
		var err error
		if key, err = newKey(o.KeyType); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = o.NotBefore.Add(90 * 24 * time.Hour)
	}
	if o.Serial == nil {
		o.Serial = randomSerial()
	}
	if o.CommonName == "" && len(o.DNSNames) > 0 {
		o.CommonName = o.DNSNames[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber: o.Serial,
		Subject:      pkix.Name{CommonName: o.CommonName},
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPs,
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if _, isRSA := key.(*rsa.PrivateKey); isRSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	cert, err := sign(tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("mint leaf %q: %w", o.CommonName, err)
	}
	return &Leaf{Cert: cert, Key: key}, nil
}

// CertPEM is the leaf certificate alone.
func (l *Leaf) CertPEM() []byte { return EncodeCerts(l.Cert) }

// ChainPEM is the intermediates alone (empty when issued by a root).
func (l *Leaf) ChainPEM() []byte { return EncodeCerts(l.Chain...) }

// FullchainPEM is the leaf followed by its intermediates, as servers send it.
func (l *Leaf) FullchainPEM() []byte {
	return EncodeCerts(append([]*x509.Certificate{l.Cert}, l.Chain...)...)
}

// KeyPEM is the private key in PKCS#8 form.
func (l *Leaf) KeyPEM() []byte { return EncodeKey(l.Key) }

// TLSCertificate is the leaf ready for a tls.Config.
func (l *Leaf) TLSCertificate() tls.Certificate {
	c := tls.Certificate{PrivateKey: l.Key, Leaf: l.Cert}
	c.Certificate = append(c.Certificate, l.Cert.Raw)
	for _, ic := range l.Chain {
		c.Certificate = append(c.Certificate, ic.Raw)
	}
	return c
}

// Pool is a CertPool holding only the root of ca's hierarchy.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Root())
	return p
}

// Root is the self-signed certificate at the top of ca's hierarchy.
func (ca *CA) Root() *x509.Certificate { return ca.root }

// RootPEM is the root certificate in PEM form, as a `ca:` file holds it.
func (ca *CA) RootPEM() []byte { return EncodeCerts(ca.Root()) }

// EncodeCerts PEM-encodes certificates in order.
func EncodeCerts(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// EncodeKey PEM-encodes a private key as PKCS#8.
func EncodeKey(key crypto.Signer) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		// Only keys this package generated reach here; all are marshalable.
		panic(fmt.Sprintf("pki: marshal key of type %T: %v", key, err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Must panics on error; for tests and the demo's start-up only.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// caTemplate describes an authority valid from an hour ago for years.
func caTemplate(name string, years int) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"certdeck test"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(years, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func newKey(t KeyType) (crypto.Signer, error) {
	var (
		k   crypto.Signer
		err error
	)
	switch t {
	case ECDSAP384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA2048:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case Ed25519:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func randomSerial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[0] &= 0x7f // positive, as RFC 5280 requires
	return new(big.Int).SetBytes(b)
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.CheckSignatureFrom(c) == nil
}
