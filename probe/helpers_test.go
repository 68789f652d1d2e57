package probe

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

// testTimeout is the probe deadline in tests: long enough for -race on two
// busy cores, short enough that a hang fails fast.
const testTimeout = 3 * time.Second

// fixture is a CA and a leaf for "svc.test" issued by an intermediate, as
// real servers send them.
type fixture struct {
	ca     *pki.CA
	inter  *pki.CA
	leaf   *pki.Leaf
	caFile string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ca := pki.Must(pki.NewCA("Test Root"))
	inter := pki.Must(ca.Intermediate("Test Intermediate"))
	leaf := pki.Must(inter.Issue(pki.Options{DNSNames: []string{"svc.test"}}))
	return &fixture{ca: ca, inter: inter, leaf: leaf, caFile: writeFile(t, "ca.pem", ca.RootPEM())}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// endpoint builds an endpoint for address (as a user would write it) with
// the given SNI and ca file.
func endpoint(t *testing.T, name, address, sni, caFile string) model.Endpoint {
	t.Helper()
	target, err := model.ParseTarget(address)
	if err != nil {
		t.Fatal(err)
	}
	return model.Endpoint{
		Name: name, Address: address, Target: target, SNI: sni, CAFile: caFile,
		Thresholds: model.Thresholds{Warn: model.DefaultWarn, Crit: model.DefaultCrit},
	}
}

func serverConfig(certs ...tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: certs}
}

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

func probeOpts() ProbeOptions { return ProbeOptions{Timeout: testTimeout} }

// countingOpts is probeOpts for tests that count a server's connections
// for the certificate and ticket handshakes: the handshake asking for the
// other key type's certificate (other_key.go) is left out.
func countingOpts() ProbeOptions {
	o := probeOpts()
	o.skipOtherKey = true
	return o
}

func ipList(ips ...string) []net.IP {
	var out []net.IP
	for _, s := range ips {
		out = append(out, net.ParseIP(s))
	}
	return out
}
