package model

import (
	"strings"
	"testing"
	"time"
)

// An endpoint serving an older certificate than its bundle is WARN on its
// own row (the Fleet tab, check's endpoint table and JSON), naming the
// bundle and both serials; in sync, being verified after an action, or
// failing, it is not.
func TestDriftingEndpointIsWarnOnItsOwnRow(t *testing.T) {
	w := newBundleWorld(t)
	f := servingFleet()
	f.Bundles[0].Serves = []string{"web-1", "web-2"}
	s := NewState(f)
	t0 := w.at
	s.Apply(t0, []Event{w.served("web-1", true, t0), w.served("web-2", false, t0), w.snapshot(2, true, t0)})
	oldSerial, newSerial := SerialHex(w.old.Cert.SerialNumber), SerialHex(w.new.Cert.SerialNumber)

	web1, web2 := s.Endpoint("web-1"), s.Endpoint("web-2")
	if web1.Verdict.Status != OK {
		t.Fatalf("web-1 in sync: %s %q", web1.Verdict.Status, web1.Verdict.Reasons)
	}
	want := "serves an older certificate (serial " + oldSerial
	if web2.Verdict.Status != Warn || len(web2.Verdict.Reasons) != 1 || !strings.HasPrefix(web2.Verdict.Reasons[0], want) ||
		!strings.Contains(web2.Verdict.Reasons[0], "than bundle web holds (serial "+newSerial) ||
		!strings.HasSuffix(web2.Verdict.Reasons[0], ": reload needed") {
		t.Fatalf("web-2 drifting: %s %q", web2.Verdict.Status, web2.Verdict.Reasons)
	}

	// An action is being verified: not drift until its probe is back.
	publish := t0.Add(10 * time.Second)
	s.Apply(publish, []Event{VerifyStarted{Bundle: "web", Serial: newSerial, Time: publish}})
	if web2.Verdict.Status != OK {
		t.Fatalf("web-2 being verified: %s %q", web2.Verdict.Status, web2.Verdict.Reasons)
	}
	// Reloaded: it serves the bundle's certificate and is OK again.
	s.Apply(publish.Add(time.Second), []Event{w.served("web-2", true, publish.Add(500*time.Millisecond))})
	if web2.Verdict.Status != OK || len(web2.Verdict.Reasons) != 0 {
		t.Fatalf("web-2 reloaded: %s %q", web2.Verdict.Status, web2.Verdict.Reasons)
	}
	// Serving the old one again, then failing: the error, not the drift.
	later := publish.Add(time.Minute)
	s.Apply(later, []Event{w.served("web-2", false, later)})
	if web2.Verdict.Status != Warn {
		t.Fatalf("web-2 drifting again: %s", web2.Verdict.Status)
	}
	s.Apply(later.Add(time.Minute), []Event{&Observation{Endpoint: "web-2", Time: later.Add(time.Minute), Error: "connection refused", ErrKind: ErrRefused}})
	if web2.Verdict.Status != Error || strings.Contains(strings.Join(web2.Verdict.Reasons, " "), "bundle web") {
		t.Fatalf("web-2 failing: %s %q", web2.Verdict.Status, web2.Verdict.Reasons)
	}
}

// A reload of one endpoint (x on web-1) proves nothing about another the
// bundle serves: web-2, still serving the old certificate, stays WARN
// while web-1 is being verified; two such reloads side by side are each
// awaited on their own.
func TestVerifyingOneEndpointLeavesTheOthersDrift(t *testing.T) {
	w := newBundleWorld(t)
	f := servingFleet()
	f.Bundles[0].Serves = []string{"web-1", "web-2"}
	s := NewState(f)
	t0 := w.at
	s.Apply(t0, []Event{w.served("web-1", false, t0), w.served("web-2", false, t0), w.snapshot(2, true, t0)})
	newSerial := SerialHex(w.new.Cert.SerialNumber)
	web1, web2 := s.Endpoint("web-1"), s.Endpoint("web-2")
	if web1.Verdict.Status != Warn || web2.Verdict.Status != Warn {
		t.Fatalf("both drifting: web-1 %s, web-2 %s", web1.Verdict.Status, web2.Verdict.Status)
	}

	reload1 := t0.Add(10 * time.Second)
	s.Apply(reload1, []Event{VerifyStarted{Bundle: "web", Serial: newSerial, Time: reload1, Endpoints: []string{"web-1"}}})
	if web1.Verdict.Status != OK {
		t.Fatalf("web-1 being verified: %s %q", web1.Verdict.Status, web1.Verdict.Reasons)
	}
	if web2.Verdict.Status != Warn || !strings.Contains(strings.Join(web2.Verdict.Reasons, " "), "reload needed") {
		t.Fatalf("web-2, which no action covers, hides its drift: %s %q", web2.Verdict.Status, web2.Verdict.Reasons)
	}
	if d := s.Bundle("web").Drift[1]; d.State != Drifted {
		t.Fatalf("the bundle's row says web-2 is %v, want drifted", d.State)
	}

	// web-2's own reload starts while web-1's is still awaited; web-1's
	// proof arrives first and web-2 is still being verified.
	reload2 := reload1.Add(time.Second)
	s.Apply(reload2, []Event{VerifyStarted{Bundle: "web", Serial: newSerial, Time: reload2, Endpoints: []string{"web-2"}}})
	s.Apply(reload2.Add(time.Second), []Event{w.served("web-1", true, reload2.Add(500*time.Millisecond))})
	if web1.Verdict.Status != OK || web2.Verdict.Status != OK {
		t.Fatalf("web-1 verified, web-2 being verified: web-1 %s %q, web-2 %s %q", web1.Verdict.Status, web1.Verdict.Reasons, web2.Verdict.Status, web2.Verdict.Reasons)
	}
	// web-2's re-probe shows its reload did not take: drift again.
	s.Apply(reload2.Add(2*time.Second), []Event{w.served("web-2", false, reload2.Add(1500*time.Millisecond))})
	if web2.Verdict.Status != Warn {
		t.Fatalf("web-2 probed after its reload, still old: %s %q", web2.Verdict.Status, web2.Verdict.Reasons)
	}
}
