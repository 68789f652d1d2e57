package probetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"certdeck/demo/pki"
)

// Staple is an OCSP response to staple, signed in process with
// golang.org/x/crypto/ocsp: what the unit tests serve from Go servers
// (tls.Certificate.OCSPStaple).
type Staple struct {
	Status     int      // ocsp.Good, ocsp.Revoked, ocsp.Unknown
	Serial     *big.Int // the certificate it speaks of
	ThisUpdate time.Time
	NextUpdate time.Time
	RevokedAt  time.Time
	Reason     int // ocsp.KeyCompromise, ...
	Issuer     *x509.Certificate
	Signer     crypto.Signer     // the key that signs the response
	Responder  *x509.Certificate // embedded signer certificate; nil: none (signed by the issuer)
}

// Sign encodes the response.
func (s Staple) Sign(t testing.TB) []byte {
	t.Helper()
	responder := s.Responder
	if responder == nil {
		responder = s.Issuer
	}
	tmpl := ocsp.Response{
		Status: s.Status, SerialNumber: s.Serial, ThisUpdate: s.ThisUpdate, NextUpdate: s.NextUpdate,
		RevokedAt: s.RevokedAt, RevocationReason: s.Reason,
	}
	if s.Responder != nil {
		tmpl.Certificate = s.Responder
	}
	der, err := ocsp.CreateResponse(s.Issuer, responder, tmpl, s.Signer)
	if err != nil {
		t.Fatalf("sign OCSP response: %v", err)
	}
	return der
}

// OCSPResponder mints a delegated responder certificate issued by ca,
// with id-kp-OCSPSigning when ocspSigning is set (RFC 6960, 4.2.2.2).
func OCSPResponder(t testing.TB, ca *pki.CA, ocspSigning bool) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "Test OCSP Responder"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if ocspSigning {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// OpenSSLStaple is a response made by `openssl ocsp` acting as the CA's
// responder, from an index file (the format of `openssl ca`), for the
// integration tests: a real responder's encoding, not our own.
type OpenSSLStaple struct {
	CA   *pki.CA   // issuer of Leaf; signs the response
	Leaf *pki.Leaf // the certificate it speaks of
	// RevokedAt, when set, makes the response say revoked since then,
	// with Reason (an RFC 5280 name such as "keyCompromise").
	RevokedAt time.Time
	Reason    string
}

// Make runs `openssl ocsp` twice, as a client building the request and as
// the responder answering it, and returns the DER response (valid one day).
func (s OpenSSLStaple) Make(t testing.TB) []byte {
	t.Helper()
	bin := RequireBinary(t, "openssl")
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	keyFile := filepath.Join(dir, "ca.key")
	leafFile := filepath.Join(dir, "leaf.pem")
	index := filepath.Join(dir, "index.txt")
	req := filepath.Join(dir, "req.der")
	resp := filepath.Join(dir, "resp.der")
	for path, data := range map[string][]byte{
		caFile: pki.EncodeCerts(s.CA.Cert), keyFile: pki.EncodeKey(s.CA.Key), leafFile: s.Leaf.CertPEM(),
	} {
		if err := WriteSecret(path, data); err != nil {
			t.Fatal(err)
		}
	}
	const asn1Time = "060102150405Z"
	serial := strings.ToUpper(s.Leaf.Cert.SerialNumber.Text(16))
	if len(serial)%2 == 1 {
		serial = "0" + serial
	}
	status, revoked := "V", ""
	if !s.RevokedAt.IsZero() {
		status, revoked = "R", s.RevokedAt.UTC().Format(asn1Time)
		if s.Reason != "" {
			revoked += "," + s.Reason
		}
	}
	line := fmt.Sprintf("%s\t%s\t%s\t%s\tunknown\t/CN=%s\n", status,
		s.Leaf.Cert.NotAfter.UTC().Format(asn1Time), revoked, serial, s.Leaf.Cert.Subject.CommonName)
	if err := os.WriteFile(index, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("ocsp", "-issuer", caFile, "-cert", leafFile, "-no_nonce", "-reqout", req)
	run("ocsp", "-index", index, "-CA", caFile, "-rsigner", caFile, "-rkey", keyFile,
		"-reqin", req, "-respout", resp, "-ndays", "1")
	der, err := os.ReadFile(resp)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
