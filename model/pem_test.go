package model

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
)

func TestParsePEMReadsEveryKeyForm(t *testing.T) {
	ca := pki.Must(pki.NewCA("Root"))
	ec := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"a.test"}}))
	rsaLeaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"b.test"}, KeyType: pki.RSA2048}))
	ed := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"c.test"}, KeyType: pki.Ed25519}))
	sec1, _ := x509.MarshalECPrivateKey(ec.Key.(*ecdsa.PrivateKey))
	pkcs1 := x509.MarshalPKCS1PrivateKey(rsaLeaf.Key.(*rsa.PrivateKey))
	tests := []struct {
		name string
		leaf *pki.Leaf
		key  []byte
		form string
	}{
		{"PKCS#8 ECDSA", ec, ec.KeyPEM(), "PKCS#8"},
		{"SEC1 ECDSA", ec, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), "SEC1"},
		{"PKCS#1 RSA", rsaLeaf, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1}), "PKCS#1"},
		{"PKCS#8 Ed25519", ed, ed.KeyPEM(), "PKCS#8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Key first, then chain: the single-file layout HAProxy and Postfix use.
			data := append(append([]byte("# comment\n"), tt.key...), tt.leaf.FullchainPEM()...)
			got, err := ParsePEM(data)
			if err != nil {
				t.Fatal(err)
			}
			if got.KeyForm != tt.form || len(got.Certs) != 1 {
				t.Fatalf("form %q, %d certs", got.KeyForm, len(got.Certs))
			}
			if !KeyMatchesCert(got.Key, got.Leaf()) {
				t.Fatal("key does not match its own certificate")
			}
			if KeyMatchesCert(got.Key, ca.Cert) {
				t.Fatal("key matches a different certificate")
			}
		})
	}
}

func TestParsePEMRefusesClearlyWithoutLeakingKeyBytes(t *testing.T) {
	ca := pki.Must(pki.NewCA("Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"a.test"}}))
	keyBody := leaf.KeyPEM()
	block, _ := pem.Decode(keyBody)
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: block.Bytes[:len(block.Bytes)/2]})
	tests := []struct {
		name string
		data []byte
		want string
		is   error
	}{
		{"empty", nil, "empty file", nil},
		{"garbage", []byte("hello world"), "no PEM data", nil},
		{"truncated", keyBody[:len(keyBody)/2], "truncated", nil},
		{"encrypted PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2}}), "encrypted", ErrEncryptedKey},
		{"legacy encrypted", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1}}), "encrypted", ErrEncryptedKey},
		{"corrupt key", corrupt, "PEM block 1 (PRIVATE KEY): cannot parse PKCS#8", nil},
		{"two keys", append(leaf.KeyPEM(), leaf.KeyPEM()...), "second private key", nil},
		{"corrupt cert", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("nope")}), "PEM block 1 (CERTIFICATE)", nil},
		{"unknown block", pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: []byte{1}}), "PEM block 1 (OPENSSH PRIVATE KEY): unexpected block type", nil},
		// A BEGIN line made of the key's first base64 line: the label is
		// not quoted.
		{"key text as the label", pem.EncodeToMemory(&pem.Block{Type: strings.Split(string(keyBody), "\n")[1], Bytes: []byte{1}}), "PEM block 1 (a label of 64 characters, not shown): unexpected block type", nil},
	}
	secret := strings.Join(strings.Split(string(keyBody), "\n")[1:3], "")
	if len(strings.Split(string(keyBody), "\n")[1]) != 64 {
		t.Fatal("the key's first base64 line is not 64 characters")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePEM(tt.data)
			if err == nil {
				t.Fatal("accepted bad input")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error is not %v", tt.is)
			}
			if strings.Contains(err.Error(), secret[:20]) {
				t.Error("error message contains key material")
			}
		})
	}
}

func TestChainOrderProblems(t *testing.T) {
	root := pki.Must(pki.NewCA("Root"))
	mid := pki.Must(root.Intermediate("Mid"))
	leaf := pki.Must(mid.Issue(pki.Options{DNSNames: []string{"a.test"}}))
	good := []*x509.Certificate{leaf.Cert, mid.Cert}
	if p := ChainOrderProblems(good); len(p) != 0 {
		t.Fatalf("ordered chain reported %q", p)
	}
	if p := ChainOrderProblems(append(good, root.Cert)); len(p) != 0 {
		t.Fatalf("trailing root reported %q", p)
	}
	swapped := []*x509.Certificate{mid.Cert, leaf.Cert}
	if p := ChainOrderProblems(swapped); len(p) == 0 || !strings.Contains(p[0], "CA certificate") {
		t.Fatalf("reversed chain: %q", p)
	}
	dup := []*x509.Certificate{leaf.Cert, mid.Cert, mid.Cert}
	if p := ChainOrderProblems(dup); len(p) != 1 || !strings.Contains(p[0], "repeats") {
		t.Fatalf("duplicate: %q", p)
	}
}

func TestVerifyChainExplainsFailures(t *testing.T) {
	root := pki.Must(pki.NewCA("Root"))
	mid := pki.Must(root.Intermediate("Mid"))
	leaf := pki.Must(mid.Issue(pki.Options{DNSNames: []string{"a.test"}}))
	expired := pki.Must(root.Issue(pki.Options{DNSNames: []string{"a.test"}, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}))
	other := pki.Must(pki.NewCA("Other"))
	full := []*x509.Certificate{leaf.Cert, mid.Cert}
	if err := VerifyChain(full, root.Pool(), "a.test", time.Now()); err != nil {
		t.Fatalf("good chain: %v", err)
	}
	tests := []struct {
		name  string
		chain []*x509.Certificate
		roots *x509.CertPool
		host  string
		want  string
	}{
		{"missing intermediate", full[:1], root.Pool(), "", "unknown authority (issuer: Mid)"},
		{"unknown root", full, other.Pool(), "", "unknown authority"},
		{"wrong host", full, root.Pool(), "b.test", "b.test"},
		{"expired", []*x509.Certificate{expired.Cert}, root.Pool(), "", "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyChain(tt.chain, tt.roots, tt.host, time.Now())
			if got := ExplainVerifyError(err, time.Now()); err == nil || !strings.Contains(got, tt.want) {
				t.Fatalf("explained %q, want it to mention %q", got, tt.want)
			}
		})
	}
}

func FuzzParsePEM(f *testing.F) {
	ca := pki.Must(pki.NewCA("Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"a.test"}}))
	f.Add(append(leaf.KeyPEM(), leaf.FullchainPEM()...))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParsePEM(data)
		if err == nil && len(got.Certs) == 0 && got.Key == nil {
			t.Fatal("success with nothing parsed")
		}
		if err != nil && bytes.Contains([]byte(err.Error()), []byte("MII")) {
			t.Fatal("error echoes DER/base64 content")
		}
	})
}
