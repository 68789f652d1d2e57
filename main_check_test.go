package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// runCheckCmd runs `certdeck check args…` with no user config in reach and
// returns stdout and the exit code run() would return.
func runCheckCmd(t *testing.T, args ...string) (string, int, error) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("CERTDECK_CONFIG", "")
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"check"}, args...))
	err := root.Execute()
	code := 0
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		code = usageExit
	}
	return out.String(), code, err
}

func checkServer(t *testing.T, o pki.Options) (addr, caFile, serial string) {
	t.Helper()
	ca := pki.Must(pki.NewCA("Check Root"))
	o.DNSNames = []string{"svc.test"}
	leaf := pki.Must(ca.Issue(o))
	srv := probetest.StartTLSServer(t, probetest.Config(leaf.TLSCertificate()))
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.Addr, caFile, model.SerialHex(leaf.Cert.SerialNumber)
}

func TestCheckExitCodes(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name  string
		opts  pki.Options
		extra []string
		want  int
	}{
		{"healthy", pki.Options{}, nil, 0},
		{"warn threshold reached", pki.Options{NotAfter: now.AddDate(0, 0, 20)}, nil, 1},
		{"warn flag", pki.Options{}, []string{"--warn", "200d"}, 1},
		{"expired", pki.Options{NotBefore: now.AddDate(0, -2, 0), NotAfter: now.AddDate(0, 0, -1)}, nil, 2},
		{"crit flag", pki.Options{}, []string{"--warn", "300d", "--crit", "200d"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, caFile, serial := checkServer(t, tc.opts)
			out, code, _ := runCheckCmd(t, append([]string{addr, "--ca", caFile, "--sni", "svc.test", "--timeout", "5s"}, tc.extra...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.want, out)
			}
			if !strings.Contains(out, serial[:8]) {
				t.Fatalf("table lacks the served serial %s:\n%s", serial[:8], out)
			}
		})
	}
}

func TestCheckUnreachableExitsTwoWithErrorKind(t *testing.T) {
	out, code, _ := runCheckCmd(t, probetest.RefusedAddr(t), "--format", "json")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	var doc struct {
		Endpoints []struct {
			Status    string `json:"status"`
			ErrorKind string `json:"error_kind"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc.Endpoints) != 1 || doc.Endpoints[0].Status != "ERROR" || doc.Endpoints[0].ErrorKind != "refused" {
		t.Fatalf("got %+v", doc.Endpoints)
	}
}

func TestCheckUsageErrorsExitThree(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"no config and no targets", nil, "no config at"},
		{"bad format", []string{"x:443", "--format", "xml"}, "want table or json"},
		{"bad duration", []string{"x:443", "--warn", "soon"}, "--warn"},
		{"crit above warn", []string{"x:443", "--warn", "7d", "--crit", "30d"}, "must not exceed"},
		{"missing explicit config", []string{"--config", "/nonexistent/certdeck.yaml"}, "read config"},
		{"bad target", []string{"gopher://x"}, "unknown scheme"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, code, err := runCheckCmd(t, tc.args...)
			if code != 3 || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("exit %d, err %v; want 3 and a message containing %q", code, err, tc.msg)
			}
		})
	}
}

func TestCheckReadsConfigFile(t *testing.T) {
	addr, caFile, _ := checkServer(t, pki.Options{})
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	yaml := "endpoints:\n  - name: from-config\n    address: " + addr + "\n    sni: svc.test\n    ca: " + caFile + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code, _ := runCheckCmd(t, "--config", cfg)
	if code != 0 || !strings.Contains(out, "from-config") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestCheckBundleFlagReadsDiskOnly(t *testing.T) {
	ca := pki.Must(pki.NewCA("Bundle CA"))
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name string, leaf *pki.Leaf, keyMode os.FileMode) string {
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, keyMode)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(append(leaf.KeyPEM(), leaf.FullchainPEM()...))
		f.Close()
		return path
	}
	healthy := write("good.pem", pki.Must(ca.Issue(pki.Options{DNSNames: []string{"a.test"}})), 0o600)
	leaky := write("leaky.pem", pki.Must(ca.Issue(pki.Options{DNSNames: []string{"b.test"}})), 0o644)

	out, code, err := runCheckCmd(t, "--bundle", healthy, "--ca", caFile, "--format", "json")
	if code != 0 {
		t.Fatalf("healthy single-file bundle: exit %d (%v)\n%s", code, err, out)
	}
	var doc struct {
		Bundles []struct {
			Name, Layout, Status string
		} `json:"bundles"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Bundles) != 1 || doc.Bundles[0].Layout != "single-file" || doc.Bundles[0].Status != "OK" {
		t.Fatalf("bundles = %+v", doc.Bundles)
	}

	out, code, _ = runCheckCmd(t, "--bundle", healthy, "--bundle", leaky, "--ca", caFile)
	if code != 2 || !strings.Contains(out, "mode 0644") {
		t.Fatalf("a key readable by others must be CRIT and exit 2; got %d\n%s", code, out)
	}
	if strings.Contains(out, "PRIVATE KEY") {
		t.Fatal("table output contains key material")
	}
}
