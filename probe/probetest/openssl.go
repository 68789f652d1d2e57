package probetest

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// OpenSSLResumes is the reference the resumption check is compared with:
// `openssl s_client -sess_out` then `-sess_in` against addr with the given
// version flag ("-tls1_2", "-tls1_3"), true when the second connection
// says "Reused". Each connection keeps stdin open briefly so TLS 1.3
// tickets, sent after the handshake, are saved.
func OpenSSLResumes(t testing.TB, addr, sni, version string) bool {
	t.Helper()
	bin := RequireBinary(t, "openssl")
	sess := filepath.Join(t.TempDir(), "session.pem")
	first := sClient(t, bin, "-connect", addr, "-servername", sni, version, "-sess_out", sess)
	if !strings.Contains(first, "New, ") {
		t.Fatalf("openssl s_client: no handshake with %s:\n%s", addr, first)
	}
	return strings.Contains(sClient(t, bin, "-connect", addr, "-servername", sni, version, "-sess_in", sess), "Reused, ")
}

func sClient(t testing.TB, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"s_client"}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(stdin, "")
		stdin.Close()
	}()
	out, _ := cmd.CombinedOutput() // s_client exits non-zero on verification errors; the text is what counts
	return string(out)
}

// OpenSSLLeaf is the certificate `openssl s_client` gets from addr with
// its default ClientHello (TLS 1.3, ecdsa_secp256r1_sha256 as its first
// signature algorithm, as browsers and curl send): the certificate most
// clients of a server holding an RSA and an ECDSA one are given.
func OpenSSLLeaf(t testing.TB, addr, sni string) *x509.Certificate {
	t.Helper()
	bin := RequireBinary(t, "openssl")
	out := sClient(t, bin, "-connect", addr, "-servername", sni)
	block, _ := pem.Decode([]byte(out[strings.Index(out, "-----BEGIN CERTIFICATE-----"):]))
	if block == nil {
		t.Fatalf("openssl s_client printed no certificate for %s:\n%s", addr, out)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("openssl s_client's certificate: %v", err)
	}
	return cert
}
