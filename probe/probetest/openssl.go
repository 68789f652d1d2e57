package probetest

import (
	"context"
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
