package model

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
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
	if bs.Verdict.Status != Warn || bs.Verdict.Reasons[0] != "2 of 3 endpoints serve an older certificate: reload needed" {
		t.Fatalf("after renewal: %s %q", bs.Verdict.Status, bs.Verdict.Reasons)
	}
	// Observations arrive after the bundle read: drift follows them.
	s.Apply(at, []Event{w.served("web-1", true, at), w.served("web-3", false, at)})
	if got := bs.DriftSummary(); got != "1/3 in sync" || bs.Verdict.Reasons[0] != "2 of 3 endpoints serve an older certificate: reload needed" {
		t.Fatalf("partial reload: %s %q", got, bs.Verdict.Reasons)
	}
	ch = s.Apply(at, []Event{w.served("web-2", true, at), w.served("web-3", true, at)})
	if bs.Verdict.Status != OK || bs.DriftSummary() != "3/3 in sync" {
		t.Fatalf("all reloaded: %s %q %s", bs.Verdict.Status, bs.Verdict.Reasons, bs.DriftSummary())
	}
	ch = slices.DeleteFunc(ch, func(c Change) bool { return c.Subject != "web" })
	if len(ch) != 2 || !strings.Contains(ch[1].Message, "web-3 serves the bundle's certificate again (3/3 in sync)") {
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
	if len(r) == 0 || r[0] != "1 of 1 endpoints serve a newer certificate than the bundle on disk" {
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
	if s.Bundle("web").Verdict.Status != Error || s.Worst() != Error || s.Counts()[Error] != 1 {
		t.Fatalf("worst %s counts %v", s.Worst(), s.Counts())
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

func TestFleetWithBundlePathsAddsUniqueAdHocBundles(t *testing.T) {
	f := testFleet("web")
	f, err := FleetWithBundlePaths(f, []string{"/etc/le/live/web", "/srv/web", "/tmp/x.pem"}, "/ca.pem")
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
	if want := []string{"web-2", "web-3", "x.pem"}; !slices.Equal(names, want) {
		t.Fatalf("names %v want %v", names, want)
	}
	if _, err := FleetWithBundlePaths(nil, []string{""}, ""); err == nil {
		t.Fatal("an empty path must be refused")
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
