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
