package rotate

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
)

func TestPublishExpiringSoonerThanCurrentIsRefusedUnlessAllowed(t *testing.T) {
	s := newTestStore(t)
	long := issueOpts(t, pki.Options{DNSNames: []string{"web.example.test"}, NotAfter: testNow.Add(90 * 24 * time.Hour)})
	short := issueOpts(t, pki.Options{DNSNames: []string{"web.example.test"}, NotAfter: testNow.Add(25 * 24 * time.Hour)})
	mustPublish(t, s, "web", inputsFor(long))
	dir := s.BundleDir("web")

	_, err := s.Publish(t.Context(), "web", inputsFor(short))
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != ReasonShorter {
		t.Fatalf("publish of a shorter certificate: err = %v, want refusal %q", err, ReasonShorter)
	}
	for _, want := range []string{"65 days before the current version v0001", "--allow-shorter",
		short.Cert.NotAfter.UTC().Format(time.DateOnly), long.Cert.NotAfter.UTC().Format(time.DateOnly)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if got := currentTarget(t, dir); got != "v0001" {
		t.Fatalf("current -> %s after the refusal", got)
	}
	p, err := s.Plan(t.Context(), "web", inputsFor(short))
	if p == nil || !p.ExpiresSooner || p.Refusal == nil || p.Refusal.Reason != ReasonShorter {
		t.Fatalf("plan = %+v, %v; want ExpiresSooner and the refusal", p, err)
	}

	in := inputsFor(short)
	in.AllowShorter = true
	if p, err := s.Plan(t.Context(), "web", in); err != nil || !p.ExpiresSooner {
		t.Fatalf("allowed plan = %+v, %v; want it flagged, not refused", p, err)
	}
	if res := mustPublish(t, s, "web", in); res.New.Name != "v0002" {
		t.Fatalf("allowed publish made %s", res.New.Name)
	}
}

func TestIdenticalRepublishMakesNoVersion(t *testing.T) {
	s := newTestStore(t)
	leaf := issue(t, "web.example.test")
	mustPublish(t, s, "web", inputsFor(leaf))
	out := t.TempDir() + "/postfix.pem"
	in := inputsFor(leaf)
	in.AlsoWrite = []string{out}

	p, err := s.Plan(t.Context(), "web", in)
	if err != nil || !p.Unchanged || p.New.Name != "v0001" {
		t.Fatalf("plan of an identical republish = %+v, %v; want Unchanged, v0001", p, err)
	}
	res := mustPublish(t, s, "web", in)
	if !res.Unchanged || res.New.Name != "v0001" || res.New.Serial != res.Old.Serial {
		t.Fatalf("result = %+v, want Unchanged with v0001 as New", res)
	}
	if vs, _ := listVersions(s.BundleDir("web")); len(vs) != 1 {
		t.Fatalf("an identical republish made versions: %v", vs)
	}
	if d := res.Describe(); !strings.Contains(d, "already current v0001") {
		t.Fatalf("Describe() = %q, want it to say already current v0001", d)
	}
	// What follows a publish still runs: the extra output is written.
	if _, err := os.Stat(out); err != nil || len(res.AlsoWritten) != 1 {
		t.Fatalf("the extra output of an unchanged publish was not written: %v", err)
	}
	// The audit line says it was a no-op.
	f, _ := os.Open(s.AuditLog)
	defer f.Close()
	var last AuditEntry
	for sc := bufio.NewScanner(f); sc.Scan(); {
		json.Unmarshal(sc.Bytes(), &last)
	}
	if !last.Unchanged || last.Result != "ok" || last.NewVersion != "v0001" {
		t.Fatalf("last audit line = %+v, want an ok, unchanged publish of v0001", last)
	}
	// The same certificate with another chain is a change.
	other := inputsFor(leaf)
	other.Fullchain = leaf.CertPEM()
	other.Fullchain = append(other.Fullchain, leaf.ChainPEM()...)
	other.Fullchain = append(other.Fullchain, fixtures.root.RootPEM()...)
	if res := mustPublish(t, s, "web", other); res.Unchanged || res.New.Name != "v0002" {
		t.Fatalf("a different chain counted as unchanged: %+v", res)
	}
}
