package pki

import (
	"crypto/x509"
	"math/big"
	"testing"
	"time"
)

func TestIssuedLeafVerifiesThroughIntermediatesToRoot(t *testing.T) {
	root := Must(NewCA("Root"))
	mid := Must(root.Intermediate("Mid 1"))
	low := Must(mid.Intermediate("Mid 2"))
	leaf := Must(low.Issue(Options{DNSNames: []string{"a.test"}}))

	if len(leaf.Chain) != 2 || leaf.Chain[0] != low.Cert || leaf.Chain[1] != mid.Cert {
		t.Fatalf("chain = %d certs, want [Mid 2, Mid 1]", len(leaf.Chain))
	}
	if low.Root() != root.Cert {
		t.Fatalf("Root() of a two-deep intermediate is %q, want the root", low.Root().Subject.CommonName)
	}
	inter := x509.NewCertPool()
	for _, c := range leaf.Chain {
		inter.AddCert(c)
	}
	_, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: low.Pool(), Intermediates: inter, DNSName: "a.test"})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestIssueHonoursSerialAndValidity(t *testing.T) {
	ca := Must(NewCA("Root"))
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	na := nb.Add(48 * time.Hour)
	leaf := Must(ca.Issue(Options{DNSNames: []string{"a.test"}, Serial: big.NewInt(0x0102), NotBefore: nb, NotAfter: na, KeyType: RSA2048}))
	if leaf.Cert.SerialNumber.Int64() != 0x0102 || !leaf.Cert.NotBefore.Equal(nb) || !leaf.Cert.NotAfter.Equal(na) {
		t.Fatalf("got serial %v %v..%v", leaf.Cert.SerialNumber, leaf.Cert.NotBefore, leaf.Cert.NotAfter)
	}
	if leaf.Cert.PublicKeyAlgorithm != x509.RSA {
		t.Fatalf("key algorithm %v, want RSA", leaf.Cert.PublicKeyAlgorithm)
	}
	if got := leaf.TLSCertificate(); len(got.Certificate) != 1 {
		t.Fatalf("root-issued leaf sends %d certs, want 1", len(got.Certificate))
	}
}
