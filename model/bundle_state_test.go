package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
)

// servingFleet has three endpoints served by one bundle "web".
func servingFleet() *Fleet {
	f := testFleet("web-1", "web-2", "web-3")
	for i := range f.Endpoints {
		f.Endpoints[i].SNI = "web.test"
	}
	f.Bundles = []Bundle{{Name: "web", Path: "/etc/letsencrypt/live/web", Layout: "auto",
		Serves: []string{"web-1", "web-2", "web-3"}, Thresholds: f.Thresholds}}
	return f
}

func (w *bundleWorld) snapshot(gen int, newLeaf bool, at time.Time) *BundleSnapshot {
	leaf := w.old
	if newLeaf {
		leaf = w.new
	}
	return &BundleSnapshot{Bundle: "web", Time: at, Layout: "certbot", Files: certbotFiles(leaf, gen), CA: w.ca.RootPEM()}
}

func (w *bundleWorld) served(endpoint string, newLeaf bool, at time.Time) *Observation {
	leaf := w.old
	if newLeaf {
		leaf = w.new
	}
	return &Observation{Endpoint: endpoint, Time: at, Verified: true, HostnameOK: true,
		Chain: []CertInfo{DescribeCert(leaf.Cert)}}
}

func kinds(cs []Change) []ChangeKind {
	var out []ChangeKind
	for _, c := range cs {
		out = append(out, c.Kind)
	}
	return out
}

func TestDriftWarnsUntilEveryEndpointServesTheBundle(t *testing.T) {
	w := newBundleWorld(t)
	s := NewState(servingFleet())
	bs := s.Bundle("web")
	if bs == nil || bs.Verdict.Status != Unknown || bs.DriftSummary() != "0/3 in sync" {
		t.Fatalf("new bundle: %+v", bs)
	}
	at := w.at
	// Endpoints first, then the bundle: drift is computed on the bundle read.
	s.Apply(at, []Event{w.served("web-1", false, at), w.served("web-2", false, at)})
	s.Apply(at, []Event{w.snapshot(2, false, at)})
	if got := bs.DriftSummary(); got != "2/3 in sync" || bs.Verdict.Status != OK {
		t.Fatalf("after first read: %s %s %q", got, bs.Verdict.Status, bs.Verdict.Reasons)
	}
	// Renewal on disk: every endpoint now serves an older certificate.
	ch := s.Apply(at, []Event{w.snapshot(3, true, at)})
	if !slices.Contains(kinds(ch), ChangeBundle) || !strings.Contains(ch[0].Message, "on disk (was ") {
		t.Fatalf("renewal changes: %+v", ch)
	}
	oldSerial, newSerial := SerialHex(w.old.Cert.SerialNumber), SerialHex(w.new.Cert.SerialNumber)
	olderReason := "2 of 3 endpoints (web-1, web-2) serve an older certificate (serial " + oldSerial
	if bs.Verdict.Status != Warn || !strings.HasPrefix(bs.Verdict.Reasons[0], olderReason) ||
		!strings.Contains(bs.Verdict.Reasons[0], "than the bundle holds (serial "+newSerial) ||
		!strings.HasSuffix(bs.Verdict.Reasons[0], ": reload needed") {
		t.Fatalf("after renewal: %s %q", bs.Verdict.Status, bs.Verdict.Reasons)
	}
	// Observations arrive after the bundle read: drift follows them.
	s.Apply(at, []Event{w.served("web-1", true, at), w.served("web-3", false, at)})
	if got := bs.DriftSummary(); got != "1/3 in sync" || !strings.HasPrefix(bs.Verdict.Reasons[0], "2 of 3 endpoints (web-2, web-3) serve an older certificate") {
		t.Fatalf("partial reload: %s %q", got, bs.Verdict.Reasons)
	}
	ch = s.Apply(at, []Event{w.served("web-2", true, at), w.served("web-3", true, at)})
	if bs.Verdict.Status != OK || bs.DriftSummary() != "3/3 in sync" {
		t.Fatalf("all reloaded: %s %q %s", bs.Verdict.Status, bs.Verdict.Reasons, bs.DriftSummary())
	}
	ch = slices.DeleteFunc(ch, func(c Change) bool { return c.Subject != "web" })
	if len(ch) != 2 || !strings.Contains(ch[1].Message, "web-3 serves the bundle's certificate "+newSerial+" again (3/3 in sync)") {
		t.Fatalf("reload changes: %+v", ch)
	}
	// A failing endpoint is unknown, not drift, and keeps its last serial.
	fail := &Observation{Endpoint: "web-2", Time: at, Error: "connection refused", ErrKind: ErrRefused}
	s.Apply(at, []Event{fail})
	d := bs.Drift[1]
	if d.State != DriftUnknown || d.ServedSerial != SerialHex(w.new.Cert.SerialNumber) || bs.Verdict.Status != OK {
		t.Fatalf("failing endpoint drift: %+v, bundle %s", d, bs.Verdict.Status)
	}
}

func TestDriftNamesANewerServedCertificate(t *testing.T) {
	w := newBundleWorld(t)
	f := servingFleet()
	f.Bundles[0].Serves = []string{"web-1"}
	s := NewState(f)
	s.Apply(w.at, []Event{w.served("web-1", true, w.at), w.snapshot(2, false, w.at)})
	r := s.Bundle("web").Verdict.Reasons
	want := fmt.Sprintf("web-1 serves a newer certificate (serial %s, expires %s) than the bundle holds (serial %s, expires %s): the bundle on disk is behind",
		SerialHex(w.new.Cert.SerialNumber), w.new.Cert.NotAfter.UTC().Format(time.DateOnly),
		SerialHex(w.old.Cert.SerialNumber), w.old.Cert.NotAfter.UTC().Format(time.DateOnly))
	if len(r) == 0 || r[0] != want {
		t.Fatalf("reasons %q\nwant %q", r, want)
	}
}

// Two certificates issued in the same second (a renewal in a tight loop,
// or a CA that truncates NotBefore to the minute) are ordered by expiry:
// the one served here expires later, so it is the newer one, and the
// reason must not call it older.
func TestDriftOrdersSameSecondCertificatesByExpiry(t *testing.T) {
	root := pki.Must(pki.NewCA("Same Second Root"))
	issued := time.Now().Add(-time.Hour).Truncate(time.Second)
	held := pki.Must(root.Issue(pki.Options{DNSNames: []string{"web.test"}, NotBefore: issued, NotAfter: issued.Add(60 * 24 * time.Hour)}))
	served := pki.Must(root.Issue(pki.Options{DNSNames: []string{"web.test"}, NotBefore: issued, NotAfter: issued.Add(90 * 24 * time.Hour)}))
	f := servingFleet()
	f.Bundles[0].Serves = []string{"web-1"}
	s := NewState(f)
	at := time.Now()
	s.Apply(at, []Event{
		&Observation{Endpoint: "web-1", Time: at, Verified: true, HostnameOK: true, Chain: []CertInfo{DescribeCert(served.Cert)}},
		&BundleSnapshot{Bundle: "web", Time: at, Layout: LayoutCertbot, Files: certbotFiles(held, 1), CA: root.RootPEM()},
	})
	r := s.Bundle("web").Verdict.Reasons
	if len(r) == 0 || !strings.HasPrefix(r[0], "web-1 serves a newer certificate (serial "+SerialHex(served.Cert.SerialNumber)) {
		t.Fatalf("reasons %q", r)
	}
}

func TestBundleChangesLogErrorsRecoveryAndNonAtomicWrites(t *testing.T) {
	w := newBundleWorld(t)
	s := NewState(servingFleet())
	at := w.at
	if ch := s.Apply(at, []Event{w.snapshot(1, true, at)}); len(ch) != 0 {
		t.Fatalf("the first read is not news: %+v", ch)
	}
	broken := w.snapshot(1, true, at)
	broken.Files[3].Data, broken.Files[3].Err = nil, "missing: /x/privkey.pem"
	ch := s.Apply(at, []Event{broken})
	if !slices.Equal(kinds(ch), []ChangeKind{ChangeError}) || ch[0].Message != "privkey.pem: missing: /x/privkey.pem" {
		t.Fatalf("error: %+v", ch)
	}
	if s.Bundle("web").Verdict.Status != Error || s.Worst() != Error {
		t.Fatalf("bundle %s, worst %s", s.Bundle("web").Verdict.Status, s.Worst())
	}
	again := w.snapshot(1, true, at)
	again.NonAtomic = "cert.pem and privkey.pem changed 300ms apart"
	ch = s.Apply(at, []Event{again})
	if !slices.Equal(kinds(ch), []ChangeKind{ChangeNonAtomic, ChangeRecovered}) {
		t.Fatalf("recovery: %+v", ch)
	}
}

func TestBundleFlagsMismatchedHostNamesOfServedEndpoints(t *testing.T) {
	w := newBundleWorld(t)
	f := servingFleet()
	f.Endpoints[2].SNI = "api.test"
	s := NewState(f)
	s.Apply(w.at, []Event{w.snapshot(1, true, w.at)})
	bs := s.Bundle("web")
	if bs.Verdict.Status != Crit || !strings.Contains(bs.Verdict.Reasons[0], "not valid for api.test (served as web-3): names are web.test") {
		t.Fatalf("%s %q", bs.Verdict.Status, bs.Verdict.Reasons)
	}
}

func TestBundleExpiryMovesWithTheClock(t *testing.T) {
	w := newBundleWorld(t)
	s := NewState(servingFleet())
	s.Apply(w.at, []Event{w.snapshot(1, true, w.at)})
	later := w.new.Cert.NotAfter.Add(-3 * 24 * time.Hour)
	s.Reclassify(later)
	if v := s.Bundle("web").Verdict; v.Status != Crit || !strings.Contains(v.Reasons[0], "expires in 3 days") {
		t.Fatalf("%s %q", v.Status, v.Reasons)
	}
}

func TestBundleReportHasTheCheckJSONShape(t *testing.T) {
	w := newBundleWorld(t)
	s := NewState(servingFleet())
	s.Apply(w.at, []Event{w.served("web-1", true, w.at), w.snapshot(4, true, w.at)})
	raw, err := json.Marshal(s.Bundle("web").Report(w.at))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "path", "layout", "status", "reasons", "serial", "not_after", "days_left", "key_match", "sha256", "files", "drift"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, raw)
		}
	}
	if got["status"] != "OK" || got["key_match"] != true || got["serial"] != SerialHex(w.new.Cert.SerialNumber) {
		t.Fatalf("%s", raw)
	}
	files := got["files"].([]any)
	key := files[3].(map[string]any)
	if key["name"] != "privkey.pem" || key["mode"] != "0600" || key["target"] != "../../archive/web/privkey4.pem" {
		t.Fatalf("file entry %v", key)
	}
	drift := got["drift"].([]any)
	if d := drift[0].(map[string]any); d["endpoint"] != "web-1" || d["state"] != "in-sync" {
		t.Fatalf("drift %v", drift)
	}
	if d := drift[1].(map[string]any); d["state"] != "unknown" {
		t.Fatalf("drift %v", drift)
	}
}

// Names are unique per kind: the endpoint "web" does not push the bundle
// read from .../live/web to "web-2"; only another bundle does.
func TestFleetWithBundlePathsAddsUniqueAdHocBundles(t *testing.T) {
	f := testFleet("web")
	f, err := FleetWithBundlePaths(f, []string{"/etc/le/live/web", "/srv/web", "/tmp/x.pem"}, "", "/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range f.Bundles {
		names = append(names, b.Name)
		if b.Layout != "auto" || b.CAFile != "/ca.pem" || b.Thresholds != f.Thresholds {
			t.Fatalf("bundle %+v", b)
		}
	}
	if want := []string{"web", "web-2", "x.pem"}; !slices.Equal(names, want) {
		t.Fatalf("names %v want %v", names, want)
	}
	if _, err := FleetWithBundlePaths(nil, []string{""}, "", ""); err == nil {
		t.Fatal("an empty path must be refused")
	}
	pair, err := FleetWithBundlePaths(nil, []string{"/srv/tls"}, LayoutPair, "")
	if err != nil || pair.Bundles[0].CertFile != "cert.pem" || pair.Bundles[0].KeyFile != "privkey.pem" {
		t.Fatalf("--layout pair: %v %+v", err, pair.Bundles)
	}
	if _, err := FleetWithBundlePaths(nil, []string{"/srv/tls"}, "zip", ""); err == nil || !strings.Contains(err.Error(), `layout "zip"`) {
		t.Fatalf("--layout zip: %v", err)
	}
}

func TestBundlesWorstFirst(t *testing.T) {
	w := newBundleWorld(t)
	f := servingFleet()
	f.Bundles = append(f.Bundles, Bundle{Name: "a-unread", Thresholds: f.Thresholds}, Bundle{Name: "broken", Thresholds: f.Thresholds})
	s := NewState(f)
	bad := w.snapshot(1, true, w.at)
	bad.Bundle, bad.Err = "broken", "/x does not exist (yet)"
	s.Apply(w.at, []Event{w.snapshot(1, true, w.at), bad})
	var names []string
	for _, b := range s.BundlesWorstFirst(w.at) {
		names = append(names, b.Bundle.Name+":"+b.Verdict.Status.String())
	}
	if want := []string{"broken:ERROR", "a-unread:UNKNOWN", "web:OK"}; !slices.Equal(names, want) {
		t.Fatalf("order %v want %v", names, want)
	}
}

// Between a publish and the re-probe that proves it, the bundle holds the
// new certificate and the endpoint still the old one: that is
// "verifying", not "reload needed". The verdict follows the first probe
// that started after the publish; a probe that started before it proves
// nothing; after VerifyTimeout without proof, drift is judged as usual.
func TestVerifyStartedShowsVerifyingUntilAProbeAfterThePublish(t *testing.T) {
	w := newBundleWorld(t)
	f := servingFleet()
	f.Bundles[0].Serves = []string{"web-1", "web-2"}
	s := NewState(f)
	bs := s.Bundle("web")
	t0 := w.at
	s.Apply(t0, []Event{w.served("web-1", false, t0), w.served("web-2", false, t0), w.snapshot(1, false, t0)})
	newSerial := SerialHex(w.new.Cert.SerialNumber)

	publish := t0.Add(10 * time.Second)
	s.Apply(publish, []Event{VerifyStarted{Bundle: "web", Serial: newSerial, Time: publish}})
	ch := s.Apply(publish.Add(50*time.Millisecond), []Event{w.snapshot(2, true, publish)})
	if bs.DriftSummary() != "verifying" || bs.Verdict.Status != OK || bs.Drift[0].State != DriftVerifying {
		t.Fatalf("after the publish: %s %s %q", bs.DriftSummary(), bs.Verdict.Status, bs.Verdict.Reasons)
	}
	for _, c := range ch {
		if strings.Contains(c.Message, "reload needed") {
			t.Fatalf("a publish being verified logged %q", c.Message)
		}
	}
	// A probe that started before the publish and ended after it.
	s.Apply(publish.Add(time.Second), []Event{w.served("web-1", false, publish.Add(-time.Second))})
	if bs.Drift[0].State != DriftVerifying {
		t.Fatalf("a probe started before the publish ended verification: %+v", bs.Drift[0])
	}
	// The re-probe: web-1 serves the new certificate.
	ch = s.Apply(publish.Add(2*time.Second), []Event{w.served("web-1", true, publish.Add(time.Second))})
	ch = slices.DeleteFunc(ch, func(c Change) bool { return c.Subject != "web" })
	if bs.Drift[0].State != InSync || bs.Drift[1].State != DriftVerifying || bs.DriftSummary() != "verifying" {
		t.Fatalf("after web-1's re-probe: %+v", bs.Drift)
	}
	if len(ch) != 1 || !strings.Contains(ch[0].Message, "web-1 serves the bundle's certificate "+newSerial+": verified (1/2 in sync, 1 verifying)") {
		t.Fatalf("verified change: %+v", ch)
	}
	// web-2 is never re-probed: after the timeout it is drift again.
	s.Reclassify(publish.Add(VerifyTimeout - time.Second))
	if bs.Drift[1].State != DriftVerifying {
		t.Fatalf("verification ended early: %+v", bs.Drift[1])
	}
	s.Reclassify(publish.Add(VerifyTimeout))
	if bs.Drift[1].State != Drifted || bs.Verdict.Status != Warn || !strings.Contains(bs.Verdict.Reasons[0], "reload needed") {
		t.Fatalf("after the verify timeout: %+v %s %q", bs.Drift[1], bs.Verdict.Status, bs.Verdict.Reasons)
	}
}
