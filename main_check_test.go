package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
		{"warn threshold reached", pki.Options{NotBefore: now.AddDate(0, 0, -70), NotAfter: now.AddDate(0, 0, 20)}, nil, 1},
		{"a short-lived certificate renewed on time", pki.Options{NotBefore: now.AddDate(0, 0, -4), NotAfter: now.AddDate(0, 0, 2)}, nil, 0},
		{"warn as a percentage of the lifetime", pki.Options{NotBefore: now.AddDate(0, 0, -4), NotAfter: now.AddDate(0, 0, 2)}, []string{"--warn", "40%"}, 1},
		{"https:// target", pki.Options{}, []string{"--https"}, 0},
		{"warn flag", pki.Options{}, []string{"--warn", "200d"}, 1},
		{"expired", pki.Options{NotBefore: now.AddDate(0, -2, 0), NotAfter: now.AddDate(0, 0, -1)}, nil, 2},
		{"crit flag", pki.Options{}, []string{"--warn", "300d", "--crit", "200d"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, caFile, serial := checkServer(t, tc.opts)
			if len(tc.extra) > 0 && tc.extra[0] == "--https" {
				addr, tc.extra = "https://"+addr, nil
			}
			out, code, _ := runCheckCmd(t, append([]string{addr, "--ca", caFile, "--sni", "svc.test", "--timeout", "5s"}, tc.extra...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.want, out)
			}
			if tail := serial[len(serial)-8:]; !strings.Contains(out, tail) {
				t.Fatalf("table lacks the served serial ending %s:\n%s", tail, out)
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
		{"concurrency 0", []string{"x:443", "--concurrency", "0"}, "--concurrency 0: must be 1-4096"},
		{"concurrency above the bound", []string{"x:443", "--concurrency", "5000"}, "--concurrency 5000: must be 1-4096"},
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

// runMain runs the whole command line as main does, stdout and stderr
// apart, and returns them with the exit status.
func runMain(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// Each shared refusal fixture (testdata/config/invalid) is exit 3 with the
// documented message on stderr, before anything is probed.
func TestCheckRefusesEveryInvalidConfigWithExitThree(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "config", "invalid", "*.yaml"))
	if len(paths) == 0 {
		t.Fatal("no fixtures in testdata/config/invalid")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			abs, _ := filepath.Abs(p)
			want, err := os.ReadFile(strings.TrimSuffix(abs, ".yaml") + ".err")
			if err != nil {
				t.Fatal(err)
			}
			msg := strings.ReplaceAll(strings.TrimSpace(string(want)), "$CONFIG", abs)
			msg = strings.ReplaceAll(msg, "$DIR", filepath.Dir(abs))
			out, stderr, code := runMain(t, "check", "--config", abs)
			if code != 3 || stderr != "certdeck: "+msg+"\n" || out != "" {
				t.Fatalf("exit %d\nstderr: %s\nwant:   certdeck: %s\nstdout: %s", code, stderr, msg, out)
			}
		})
	}
}

// A FIFO as --config or --ca must not hang check (a FIFO with no writer
// blocks a plain open forever): it is refused at once, exit 3.
func TestCheckRefusesSpecialFilesAtOnce(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, args := range [][]string{{"check", "--config", fifo}, {"check", "127.0.0.1:1", "--ca", fifo}} {
		done := make(chan struct{})
		var stderr string
		var code int
		go func() { _, stderr, code = runMain(t, args...); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%v hangs on a FIFO", args)
		}
		if code != 3 || !strings.Contains(stderr, "FIFO (named pipe), not a regular file") {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// Arguments are echoed in errors (and cobra's own usage errors echo flags):
// an ESC in one reaches stderr as a visible escape, never as the byte.
func TestErrorsOnStderrAreSanitized(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, args := range [][]string{
		{"check", "gopher://\x1b]0;pwned\x07host"},
		{"check", "--\x1b[31mbogus", "x:443"},
		{"check", "x:443", "--warn", "\u202e5d"},
	} {
		_, stderr, code := runMain(t, args...)
		if code != 3 || strings.ContainsAny(stderr, "\x1b\x07\u202e") || !strings.HasPrefix(stderr, "certdeck: ") {
			t.Fatalf("%q: exit %d, stderr %q", args, code, stderr)
		}
		if !strings.Contains(stderr, `\x1b`) && !strings.Contains(stderr, `\u202e`) {
			t.Fatalf("%q: the escape was dropped rather than shown: %q", args, stderr)
		}
	}
}

// A certificate whose subject, issuer and names carry an OSC title
// sequence (ESC ] 0 ; title BEL) and a right-to-left override goes
// through `check`'s table as visible escapes; the bundle that should serve
// it names the certificate's names in its reason, in full (the table is
// not cut when stdout is not a terminal).
func TestCheckTableEscapesHostileCertificateFields(t *testing.T) {
	const osc = "\x1b]0;pwned\x07"
	ca := pki.Must(pki.NewCA("Evil " + osc + " CA \u202eelgoog"))
	leaf := pki.Must(ca.Issue(pki.Options{CommonName: "svc \u202etset" + osc, DNSNames: []string{"a" + osc + ".test", "b.test"}}))
	srv := probetest.StartTLSServer(t, probetest.Config(leaf.TLSCertificate()))
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	bundle := filepath.Join(dir, "svc.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bundle, append(leaf.KeyPEM(), leaf.FullchainPEM()...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	yaml := "endpoints:\n  - {name: svc, address: '" + srv.Addr + "', sni: svc.test, ca: ca.pem}\n" +
		"bundles:\n  - {name: svc, path: svc.pem, ca: ca.pem, serves: [svc]}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runMain(t, "check", "--config", cfg)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (wrong host)\n%s%s", code, out, stderr)
	}
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Fatalf("terminal controls reached the table:\n%q", out)
	}
	for _, want := range []string{`Evil \x1b]0;pwned\x07 CA \u202eelgoog`, `names are a\x1b]0;pwned\x07.test, b.test`} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runMain(t, "check", "--config", cfg, "--format", "json")
	if strings.ContainsAny(out, "\x1b\x07\u202e") || !strings.Contains(out, `\u001b]0;pwned\u0007`) || !strings.Contains(out, `\u202e`) {
		t.Fatalf("JSON must keep the values, escaped:\n%s", out)
	}
}

// `check --bundle` alone prints the bundles, and no empty endpoint table.
func TestCheckBundleAlonePrintsOnlyBundles(t *testing.T) {
	ca := pki.Must(pki.NewCA("Bundle Only CA"))
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"a.test"}}))
	os.WriteFile(caFile, ca.RootPEM(), 0o644)
	pair := filepath.Join(dir, "tls")
	os.MkdirAll(pair, 0o755)
	os.WriteFile(filepath.Join(pair, "cert.pem"), leaf.FullchainPEM(), 0o644)
	os.WriteFile(filepath.Join(pair, "privkey.pem"), leaf.KeyPEM(), 0o600)
	out, code, err := runCheckCmd(t, "--bundle", pair, "--ca", caFile)
	if code != 0 || !strings.HasPrefix(out, "STATUS  BUNDLE") || strings.Contains(out, "NAME") || !strings.Contains(out, " pair ") {
		t.Fatalf("exit %d (%v):\n%s", code, err, out)
	}
	out, code, err = runCheckCmd(t, "--bundle", pair, "--ca", caFile, "--layout", "certbot")
	if code != 2 || !strings.Contains(out, "chain.pem: missing") {
		t.Fatalf("--layout certbot on a pair: exit %d (%v):\n%s", code, err, out)
	}
	if _, code, err = runCheckCmd(t, "--bundle", pair, "--layout", "zip"); code != 3 || !strings.Contains(err.Error(), `layout "zip"`) {
		t.Fatalf("--layout zip: exit %d %v", code, err)
	}
}

// Without $HOME there is no default config to read: check says so, exit 3,
// rather than reading ./.config/certdeck/config.yaml; with a TARGET it
// checks the target.
func TestCheckWithoutHomeRefusesTheDefaultConfig(t *testing.T) {
	addr, caFile, _ := checkServer(t, pki.Options{})
	t.Setenv("HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("CERTDECK_CONFIG", "")
	t.Chdir(t.TempDir())
	_, stderr, code := runMain(t, "check")
	if code != 3 || !strings.Contains(stderr, "$HOME is not set") || !strings.Contains(stderr, "--config") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if out, stderr, code := runMain(t, "check", addr, "--ca", caFile, "--sni", "svc.test"); code != 0 {
		t.Fatalf("a TARGET without HOME: exit %d\n%s%s", code, out, stderr)
	}
}

// The console takes --ca, --sni and --layout as check does, and applies
// them the same way (buildFleet is shared).
func TestConsoleAcceptsCASNIAndLayout(t *testing.T) {
	_, caFile, _ := checkServer(t, pki.Options{})
	root := newRootCmd()
	if err := root.ParseFlags([]string{"--ca", caFile, "--sni", "svc.test", "--layout", "pair", "--bundle", "/srv/tls"}); err != nil {
		t.Fatalf("console flags refused: %v", err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	g := &globalFlags{bundles: []string{"/srv/tls"}, layout: model.LayoutPair}
	fleet, _, err := buildFleet(g, fleetInputs{targets: []string{"10.0.0.5:8443"}, ca: caFile, sni: "svc.test"})
	if err != nil {
		t.Fatal(err)
	}
	ep := fleet.Endpoints[0]
	if ep.CAFile != caFile || ep.SNI != "svc.test" || fleet.Bundles[0].Layout != model.LayoutPair || fleet.Bundles[0].CAFile != caFile {
		t.Fatalf("endpoint %+v bundle %+v", ep, fleet.Bundles[0])
	}
}

// countingWriter counts the Write calls that reach it: each is a write(2)
// when it is the terminal or a pipe.
type countingWriter struct {
	buf    bytes.Buffer // not embedded: its WriteString would go uncounted
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) { w.writes++; return w.buf.Write(p) }

func (w *countingWriter) String() string { return w.buf.String() }

// A fleet's report leaves in a few large writes, not one per row: at
// 2,000 endpoints a write(2) per row was a serial tail after the last
// probe. Every row is still there, in both formats.
func TestCheckReportLeavesInFewWrites(t *testing.T) {
	addr, caFile, _ := checkServer(t, pki.Options{})
	const n = 60
	var yaml strings.Builder
	yaml.WriteString("endpoints:\n")
	for i := range n {
		fmt.Fprintf(&yaml, "  - {name: ep%02d, address: %q, sni: svc.test, ca: %q}\n", i, addr, caFile)
	}
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(yaml.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, format := range []string{"table", "json"} {
		root := newRootCmd()
		var out countingWriter
		root.SetOut(&out)
		root.SetErr(io.Discard)
		root.SetArgs([]string{"check", "--config", cfg, "--format", format})
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, out.String())
		}
		if got := strings.Count(out.String(), `ep`); got < n {
			t.Errorf("%s: %d endpoint names in the report, want %d:\n%s", format, got, n, out.String())
		}
		if out.writes > 2 {
			t.Errorf("%s: the report took %d writes for %d endpoints, want at most 2", format, out.writes, n)
		}
	}
}
