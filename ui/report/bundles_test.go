package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
)

// bundleState is a fleet of two endpoints served by one certbot bundle on
// disk: web-1 serves the bundle's certificate, web-2 an older one (drift).
func bundleState(t *testing.T) (*model.State, *pki.Leaf) {
	t.Helper()
	ca := pki.Must(pki.NewCA("Bundle CA"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"web.test"}, NotAfter: time.Now().AddDate(0, 0, 60)}))
	lin := probe.CertbotLineage{Root: t.TempDir(), Name: "web"}
	caFile := filepath.Join(lin.Root, "ca.pem")
	if err := os.WriteFile(caFile, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	gen := probe.CertbotPEM{Cert: leaf.CertPEM(), Chain: leaf.ChainPEM(), Fullchain: leaf.FullchainPEM(), Key: leaf.KeyPEM()}
	if err := lin.WriteGeneration(1, gen); err != nil {
		t.Fatal(err)
	}
	if err := lin.Point(1); err != nil {
		t.Fatal(err)
	}
	cfg := "endpoints:\n  - {name: web-1, address: 'web.test:443'}\n  - {name: web-2, address: 'web.test:8443'}\n" +
		"bundles:\n  - {name: web, path: '" + lin.LiveDir() + "', ca: '" + caFile + "', serves: [web-1, web-2]}\n"
	f, err := model.ParseFleet([]byte(cfg), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s := model.NewState(f)
	served := good("web-1", model.SerialHex(leaf.Cert.SerialNumber), leaf.Cert.NotAfter)
	old := good("web-2", "0bad", now.AddDate(0, 0, 60))
	s.Apply(now, []model.Event{served, old})
	s.Apply(now, probe.BundleEvents(f.Bundles, now))
	return s, leaf
}

func TestTableListsBundlesAfterEndpointsWithDrift(t *testing.T) {
	s, leaf := bundleState(t)
	var buf bytes.Buffer
	if err := Table(&buf, s, time.Now(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	header := strings.Index(out, "STATUS  BUNDLE")
	if header < 0 || header < strings.Index(out, "web-2") {
		t.Fatalf("bundles section missing or before endpoints:\n%s", out)
	}
	row := out[header:]
	for _, want := range []string{"WARN", "reload needed", "certbot", model.SerialTail(model.SerialHex(leaf.Cert.SerialNumber), model.MinSerialDigits), "match", "1/2 in sync"} {
		if !strings.Contains(row, want) {
			t.Errorf("bundle row lacks %q:\n%s", want, row)
		}
	}
}

func TestJSONCarriesBundlesAndExitCodeCountsThem(t *testing.T) {
	s, leaf := bundleState(t)
	var buf bytes.Buffer
	if err := JSON(&buf, s, time.Now()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Bundles []map[string]any `json:"bundles"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Bundles) != 1 {
		t.Fatalf("%d bundles in JSON", len(doc.Bundles))
	}
	b := doc.Bundles[0]
	for _, key := range []string{"name", "path", "layout", "status", "reasons", "serial", "not_after", "days_left", "key_match", "sha256", "files", "drift"} {
		if _, ok := b[key]; !ok {
			t.Errorf("bundle JSON lacks %q", key)
		}
	}
	if b["serial"] != model.SerialHex(leaf.Cert.SerialNumber) || b["key_match"] != true {
		t.Errorf("serial %v key_match %v", b["serial"], b["key_match"])
	}
	drift, _ := b["drift"].([]any)
	if len(drift) != 2 || drift[1].(map[string]any)["state"] != "drift" || drift[1].(map[string]any)["served_serial"] != "0bad" {
		t.Errorf("drift = %v", drift)
	}
	if strings.Contains(buf.String(), "PRIVATE KEY") {
		t.Error("JSON contains key material")
	}
	// The bundle and the endpoint that drifts from it warn (the one in
	// sync is OK), and scripts see it in the exit code.
	for _, es := range s.Endpoints() {
		want := model.OK
		if es.Endpoint.Name == "web-2" {
			want = model.Warn
		}
		if es.Verdict.Status != want {
			t.Fatalf("endpoint %s is %s %q, want %s", es.Endpoint.Name, es.Verdict.Status, es.Verdict.Reasons, want)
		}
	}
	if r := s.Endpoint("web-2").Verdict.Reasons; len(r) != 1 || !strings.Contains(r[0], "bundle web holds") {
		t.Fatalf("web-2's reasons %q, want its drift from bundle web", r)
	}
	if st := s.Bundle("web").Verdict.Status; st != model.Warn {
		t.Fatalf("drifting bundle is %s %q, want WARN", st, s.Bundle("web").Verdict.Reasons)
	}
	if got := ExitCode(s.Worst()); got != ExitWarn {
		t.Fatalf("exit code %d, want %d from the bundle's drift", got, ExitWarn)
	}
}

// `check --bundle PATH` alone has no endpoints: the table is the bundles
// section only, with no empty endpoint header above it.
func TestTableOfBundlesOnlyPrintsNoEndpointSection(t *testing.T) {
	f, err := model.FleetWithBundlePaths(nil, []string{filepath.Join(t.TempDir(), "none.pem")}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	s := model.NewState(f)
	s.Apply(now, probe.BundleEvents(f.Bundles, now))
	var buf bytes.Buffer
	if err := Table(&buf, s, now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "STATUS  BUNDLE") || strings.Contains(buf.String(), "NAME") {
		t.Fatalf("bundles-only table:\n%s", buf.String())
	}
}
