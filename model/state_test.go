package model

import (
	"strings"
	"testing"
	"time"
)

func testFleet(names ...string) *Fleet {
	f := &Fleet{Thresholds: Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}}
	for _, n := range names {
		f.Endpoints = append(f.Endpoints, Endpoint{Name: n, Thresholds: f.Thresholds})
	}
	return f
}

func obs(name, serial string, at time.Time, left time.Duration) *Observation {
	o := goodObservation(left)
	o.Endpoint, o.Time, o.Chain[0].Serial = name, at, serial
	return o
}

func TestApplyLogsWhatOnCallCaresAbout(t *testing.T) {
	s := NewState(testFleet("web"))
	if s.Endpoint("web").Verdict.Status != Unknown {
		t.Fatal("a new endpoint must be UNKNOWN")
	}
	t0 := now
	steps := []struct {
		name string
		ev   Event
		want []ChangeKind
	}{
		{"first probe logs nothing", obs("web", "aa01", t0, 60*24*time.Hour), nil},
		{"same serial logs nothing", obs("web", "aa01", t0.Add(time.Minute), 60*24*time.Hour), nil},
		{"error appears", &Observation{Endpoint: "web", Time: t0.Add(2 * time.Minute), Error: "refused", ErrKind: ErrRefused}, []ChangeKind{ChangeError}},
		{"same error again is quiet", &Observation{Endpoint: "web", Time: t0.Add(3 * time.Minute), Error: "refused", ErrKind: ErrRefused}, nil},
		{"error changes kind", &Observation{Endpoint: "web", Time: t0.Add(4 * time.Minute), Error: "timed out", ErrKind: ErrTimeout}, []ChangeKind{ChangeError}},
		{"recovery with a new serial", obs("web", "bb02", t0.Add(5*time.Minute), 60*24*time.Hour), []ChangeKind{ChangeRecovered, ChangeSerial}},
		{"threshold crossed", obs("web", "bb02", t0.Add(6*time.Minute), 3*24*time.Hour), []ChangeKind{ChangeStatus}},
		{"unknown endpoint ignored", obs("gone", "cc", t0, time.Hour), nil},
	}
	for _, st := range steps {
		got := s.Apply(now, []Event{st.ev})
		var kinds []ChangeKind
		for _, c := range got {
			kinds = append(kinds, c.Kind)
		}
		if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(st.want), ",") {
			t.Errorf("%s: changes %v, want %v", st.name, got, st.want)
		}
	}
	web := s.Endpoint("web")
	if web.Verdict.Status != Crit || web.LastGood.Leaf().Serial != "bb02" {
		t.Errorf("final state %s serial %s", web.Verdict.Status, web.LastGood.Leaf().Serial)
	}
}

func kindStrings(ks []ChangeKind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	return out
}

func TestApplyTracksTicketKeyAges(t *testing.T) {
	s := NewState(testFleet("lb"))
	withTicket := func(at time.Time, key string) *Observation {
		o := obs("lb", "01", at, 60*24*time.Hour)
		o.Ticket = TicketInfo{Issued: true, KeyName: key}
		return o
	}
	s.Apply(now, []Event{withTicket(now, "k1")})
	s.Apply(now, []Event{withTicket(now.Add(time.Hour), "k1")})
	if name, age, ok := s.Endpoint("lb").TicketAge(now.Add(2 * time.Hour)); !ok || name != "k1" || age != 2*time.Hour {
		t.Fatalf("age of k1 = %v %v %v, want 2h", name, age, ok)
	}
	ch := s.Apply(now, []Event{withTicket(now.Add(3*time.Hour), "k2")})
	if len(ch) != 1 || ch[0].Kind != ChangeTicketKey || !strings.Contains(ch[0].Message, "k2 replaces k1") {
		t.Fatalf("rotation logged as %v", ch)
	}
	if _, age, _ := s.Endpoint("lb").TicketAge(now.Add(3 * time.Hour)); age != 0 {
		t.Fatalf("new key age %v, want 0", age)
	}
	for i := range 40 {
		s.Apply(now, []Event{withTicket(now.Add(time.Duration(4+i)*time.Hour), string(rune('A'+i)))})
	}
	if n := len(s.Endpoint("lb").Tickets); n != sightingLimit {
		t.Fatalf("%d sightings kept, want the bound %d", n, sightingLimit)
	}
}

func TestProbeStartedMarksInFlightUntilObserved(t *testing.T) {
	s := NewState(testFleet("a"))
	s.Apply(now, []Event{ProbeStarted{Endpoint: "a", Time: now}})
	if !s.Endpoint("a").InFlight {
		t.Fatal("not in flight after ProbeStarted")
	}
	s.Apply(now, []Event{obs("a", "01", now, 60*24*time.Hour)})
	if s.Endpoint("a").InFlight {
		t.Fatal("still in flight after its observation")
	}
}

func TestWorstFirstOrdersByStatusThenDaysLeft(t *testing.T) {
	s := NewState(testFleet("ok-far", "ok-near", "warn", "crit", "err", "new"))
	day := 24 * time.Hour
	s.Apply(now, []Event{
		obs("ok-far", "1", now, 300*day),
		obs("ok-near", "2", now, 60*day),
		obs("warn", "3", now, 20*day),
		obs("crit", "4", now, 2*day),
		&Observation{Endpoint: "err", Time: now, Error: "x", ErrKind: ErrDNS},
	})
	var got []string
	for _, es := range s.WorstFirst(now) {
		got = append(got, es.Endpoint.Name)
	}
	want := "err,crit,warn,new,ok-near,ok-far"
	if strings.Join(got, ",") != want {
		t.Fatalf("order %v, want %s", got, want)
	}
	if s.Worst() != Error {
		t.Fatalf("worst %s, want ERROR", s.Worst())
	}
}

func TestReclassifyMovesStatusAsTimePasses(t *testing.T) {
	s := NewState(testFleet("a"))
	s.Apply(now, []Event{obs("a", "1", now, 31*24*time.Hour)})
	if s.Endpoint("a").Verdict.Status != OK {
		t.Fatal("31 days left should be OK")
	}
	s.Reclassify(now.Add(2 * 24 * time.Hour))
	if s.Endpoint("a").Verdict.Status != Warn {
		t.Fatalf("29 days left is %s, want WARN", s.Endpoint("a").Verdict.Status)
	}
}

// Sequential serials (openssl -CAcreateserial issues …6e, …6f, …70) share
// their first 8 hex digits: the event log carries whole serials, or two
// different certificates read the same.
func TestEventsCarryWholeSerials(t *testing.T) {
	const a, b = "3218fde1c0a8016e", "3218fde1c0a8016f"
	s := NewState(testFleet("web"))
	s.Apply(now, []Event{obs("web", a, now, 60*24*time.Hour)})
	ch := s.Apply(now, []Event{obs("web", b, now.Add(time.Minute), 60*24*time.Hour)})
	if len(ch) != 1 || !strings.Contains(ch[0].Message, "serves serial "+b+" (was "+a+")") {
		t.Fatalf("changes %+v", ch)
	}
}

// A timed-out probe is stamped with its start, which can be long before a
// quick probe that finished first: the event log is ordered by when each
// result was known, so its times never run backwards.
func TestEventTimesFollowWhenResultsArrive(t *testing.T) {
	s := NewState(testFleet("fast", "slow"))
	s.Apply(now, []Event{obs("fast", "01", now, 60*24*time.Hour), obs("slow", "02", now, 60*24*time.Hour)})
	t1, t2 := now.Add(time.Minute), now.Add(time.Minute+5*time.Second)
	c1 := s.Apply(t1, []Event{obs("fast", "03", t1.Add(-10*time.Millisecond), 60*24*time.Hour)})
	// Started before the fast one, timed out after 5 s.
	c2 := s.Apply(t2, []Event{&Observation{Endpoint: "slow", Time: t1.Add(-time.Second), Error: "no answer within 5s", ErrKind: ErrTimeout}})
	if len(c1) != 1 || len(c2) != 1 {
		t.Fatalf("changes %+v %+v", c1, c2)
	}
	if c2[0].Time.Before(c1[0].Time) || !c2[0].Time.Equal(t2) {
		t.Fatalf("event times run backwards: %s then %s", c1[0].Time, c2[0].Time)
	}
}
