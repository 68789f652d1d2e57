package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"certdeck/model"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// now is the fixed clock of every report test.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func cert(cn, serial string, notAfter time.Time) model.CertInfo {
	return model.CertInfo{
		Subject: "CN=" + cn, SubjectCN: cn, SANs: []string{cn},
		Issuer: "CN=Example CA R3,O=Example", IssuerCN: "Example CA R3",
		Serial: serial, NotBefore: notAfter.AddDate(0, 0, -90), NotAfter: notAfter,
		Key: "ECDSA P-256", SigAlg: "ECDSA-SHA256", SHA256: strings.Repeat("ab", 32),
	}
}

func good(name, serial string, notAfter time.Time) *model.Observation {
	return &model.Observation{
		Endpoint: name, Time: now, Latency: 1234567 * time.Nanosecond, IP: "10.0.0.5",
		TLSVersion: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ALPN: "h2",
		Chain:    []model.CertInfo{cert(name+".example.com", serial, notAfter)},
		Verified: true, HostnameOK: true,
		Ticket: model.TicketInfo{Issued: true, KeyName: "00112233445566778899aabbccddeeff", ResumeChecked: true, Resumed: true},
	}
}

// fleetState builds a fleet with one endpoint per status and applies
// observations at the fixed clock.
func fleetState(t *testing.T) *model.State {
	t.Helper()
	addrs := []string{"web-ok:443", "web-warn:443", "web-expired:443", "db:5432", "smtp://mail:25", "new:443", "wrong-host:443"}
	names := []string{"web-ok", "web-warn", "web-expired", "db", "mail", "new", "wrong-host"}
	f, err := (&model.Config{}).Resolve()
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range addrs {
		target, err := model.ParseTarget(a)
		if err != nil {
			t.Fatal(err)
		}
		f.Endpoints = append(f.Endpoints, model.Endpoint{Name: names[i], Address: a, Target: target, SNI: target.Host, Thresholds: f.Thresholds})
	}
	s := model.NewState(f)
	wrong := good("wrong-host", "0a0b0c0d0e0f", now.AddDate(0, 0, 60))
	wrong.HostnameOK = false
	mail := good("mail", "0f", now.AddDate(0, 0, 45))
	mail.ALPN = ""
	s.Apply(now, []model.Event{
		good("web-ok", "08d27b4c1f2e3d4c", now.AddDate(0, 0, 80)),
		good("web-warn", "7f00aa01", now.AddDate(0, 0, 20)),
		good("web-expired", "01020304050607", now.AddDate(0, 0, -3)),
		&model.Observation{Endpoint: "db", Time: now, IP: "10.0.0.9", ErrKind: model.ErrTimeout, Error: "no answer within 5s during the TLS handshake"},
		mail,
		wrong,
	})
	return s
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestTableListsWorstFirstWithEveryColumn(t *testing.T) {
	var buf bytes.Buffer
	if err := Table(&buf, fleetState(t), now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.golden", buf.Bytes())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	wantOrder := []string{"STATUS", "ERROR", "CRIT", "CRIT", "WARN", "UNKNOWN", "OK", "OK"}
	for i, w := range wantOrder {
		if !strings.HasPrefix(lines[i], w+" ") {
			t.Errorf("line %d = %q, want it to start with %s", i, lines[i], w)
		}
	}
}

func TestTableNeutralisesControlCharactersFromServers(t *testing.T) {
	s := fleetState(t)
	s.Apply(now, []model.Event{&model.Observation{Endpoint: "db", Time: now, ErrKind: model.ErrNotTLS,
		Error: "server does not speak TLS here: \x1b[31mred\ttab\nnewline"}})
	var buf bytes.Buffer
	if err := Table(&buf, s, now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\t") || strings.Count(buf.String(), "\n") != 8 {
		t.Fatalf("server text broke the table:\n%q", buf.String())
	}
}

func TestJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, fleetState(t), now); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Endpoints []map[string]any `json:"endpoints"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if len(doc.Endpoints) != 7 {
		t.Fatalf("%d endpoints, want 7", len(doc.Endpoints))
	}
	keys := []string{"name", "address", "sni", "ip", "status", "error", "error_kind", "tls_version", "cipher", "alpn",
		"latency_ms", "verified", "verify_error", "hostname_ok", "ocsp_stapled", "leaf", "chain", "ticket"}
	byName := map[string]map[string]any{}
	for _, e := range doc.Endpoints {
		for _, k := range keys {
			if _, ok := e[k]; !ok {
				t.Errorf("endpoint %v lacks key %q", e["name"], k)
			}
		}
		byName[e["name"].(string)] = e
	}
	if doc.Endpoints[0]["name"] != "db" {
		t.Errorf("first endpoint = %v, want the ERROR row first", doc.Endpoints[0]["name"])
	}
	db := byName["db"]
	if db["status"] != "ERROR" || db["error_kind"] != "timeout" || db["leaf"] != nil {
		t.Errorf("db = status %v kind %v leaf %v", db["status"], db["error_kind"], db["leaf"])
	}
	ok := byName["web-ok"]
	leaf := ok["leaf"].(map[string]any)
	for k, want := range map[string]any{
		"serial": "08d27b4c1f2e3d4c", "not_after": "2026-05-20T12:00:00Z", "not_before": "2026-02-19T12:00:00Z",
		"days_left": 80.0, "issuer": "CN=Example CA R3,O=Example", "key": "ECDSA P-256", "sig_alg": "ECDSA-SHA256",
	} {
		if leaf[k] != want {
			t.Errorf("leaf.%s = %v, want %v", k, leaf[k], want)
		}
	}
	if ok["latency_ms"] != 1.235 || ok["tls_version"] != "TLS 1.3" || ok["status"] != "OK" {
		t.Errorf("web-ok = latency %v version %v status %v", ok["latency_ms"], ok["tls_version"], ok["status"])
	}
	ticket := ok["ticket"].(map[string]any)
	if ticket["key_name"] != "00112233445566778899aabbccddeeff" || ticket["resumed"] != true || ticket["opaque"] != false {
		t.Errorf("ticket = %v", ticket)
	}
	if chain := ok["chain"].([]any); len(chain) != 1 {
		t.Errorf("chain has %d entries, want 1", len(chain))
	}
	if byName["new"]["status"] != "UNKNOWN" || len(byName["new"]["chain"].([]any)) != 0 {
		t.Errorf("unprobed endpoint = %v", byName["new"])
	}
}

func TestExitCodeFollowsTheWorstStatus(t *testing.T) {
	cases := []struct {
		worst model.Status
		want  int
	}{
		{model.OK, 0}, {model.Unknown, 1}, {model.Warn, 1}, {model.Crit, 2}, {model.Error, 2},
	}
	for _, tc := range cases {
		if got := ExitCode(tc.worst); got != tc.want {
			t.Errorf("ExitCode(%s) = %d, want %d", tc.worst, got, tc.want)
		}
	}
	if got := ExitCode(fleetState(t).Worst()); got != 2 {
		t.Errorf("fleet with an ERROR row exits %d, want 2", got)
	}
}

// A reversed chain is WARN in JSON too, and says why: endpoints carry the
// verdict's reasons as bundles do.
func TestJSONEndpointsCarryTheirReasons(t *testing.T) {
	s := fleetState(t)
	rev := good("web-ok", "08d27b4c1f2e3d4c", now.AddDate(0, 0, 80))
	rev.ChainProblems = []string{"certificate 1 is not signed by certificate 2"}
	s.Apply(now, []model.Event{rev})
	var buf bytes.Buffer
	if err := JSON(&buf, s, now); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Endpoints []struct {
			Name    string   `json:"name"`
			Status  string   `json:"status"`
			Reasons []string `json:"reasons"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, e := range doc.Endpoints {
		if e.Reasons == nil {
			t.Errorf("%s: reasons is null, want a list", e.Name)
		}
		got[e.Name] = e.Reasons
	}
	if r := got["web-ok"]; len(r) != 1 || r[0] != "chain order: certificate 1 is not signed by certificate 2" {
		t.Errorf("reversed chain reasons %q", r)
	}
	if r := got["mail"]; len(r) != 0 {
		t.Errorf("healthy endpoint reasons %q, want []", r)
	}
	if r := got["web-warn"]; len(r) != 1 || !strings.HasPrefix(r[0], "expires in 20 days") {
		t.Errorf("expiring endpoint reasons %q", r)
	}
}

// Targets given on the command line are named by their address: the table
// shows it once, not as NAME and again as ADDRESS.
func TestTableShowsAnAddressNamedEndpointOnce(t *testing.T) {
	f, err := model.FleetFromTargets([]string{"a.example:443", "smtp://b.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := model.NewState(f)
	s.Apply(now, []model.Event{good("a.example:443", "0a", now.AddDate(0, 0, 60))})
	var buf bytes.Buffer
	if err := Table(&buf, s, now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "ADDRESS") || strings.Count(buf.String(), "a.example:443") != 1 {
		t.Fatalf("address shown twice:\n%s", buf.String())
	}
	// In a mixed table, a row named by its address leaves ADDRESS blank.
	f.Endpoints = append(f.Endpoints, model.Endpoint{Name: "web", Address: "web.example:8443",
		Target: model.Target{Protocol: model.ProtoTLS, Host: "web.example", Port: "8443"}, Thresholds: f.Thresholds})
	s = model.NewState(f)
	buf.Reset()
	if err := Table(&buf, s, now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "ADDRESS") || strings.Count(buf.String(), "a.example:443") != 1 || !strings.Contains(buf.String(), "web.example:8443") {
		t.Fatalf("mixed table:\n%s", buf.String())
	}
}

// Written to a file or a pipe (cron mails, logs) the table is never cut:
// the end of the reason is often the useful hint. Fitting only happens on
// a terminal, to its width.
func TestTableCutsLinesOnlyToFitATerminal(t *testing.T) {
	s := fleetState(t)
	long := "no answer within 5s during the TLS handshake; " + strings.Repeat("the useful hint is at the end ", 6) + "HINT"
	s.Apply(now, []model.Event{&model.Observation{Endpoint: "db", Time: now, ErrKind: model.ErrTimeout, Error: long}})
	var buf bytes.Buffer
	if err := Table(&buf, s, now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), long) {
		t.Fatalf("table for a pipe cut the reason:\n%s", buf.String())
	}
	buf.Reset()
	if err := Table(&buf, s, now, TableOptions{Width: 80}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line of %d cells on an 80-column terminal: %q", n, line)
		}
	}
	if !strings.Contains(buf.String(), "…") {
		t.Errorf("nothing marked as cut:\n%s", buf.String())
	}
}

// Certificate fields are attacker-chosen: an OSC title sequence or a bidi
// override in the issuer reaches the table as visible escapes, while JSON
// keeps the exact value (escaped so a terminal showing it acts on nothing).
func TestHostileCertificateFieldsAreEscapedInTableAndExactInJSON(t *testing.T) {
	const hostile = "Evil \x1b]0;pwned\x07 CA \u202eelgoog"
	s := fleetState(t)
	o := good("web-ok", "08d27b4c1f2e3d4c", now.AddDate(0, 0, 80))
	o.Chain[0].IssuerCN, o.Chain[0].Issuer = hostile, "CN="+hostile
	o.Chain[0].SANs = []string{"a.test\x1b[2J", "\u202etset.b"}
	s.Apply(now, []model.Event{o})
	var buf bytes.Buffer
	if err := Table(&buf, s, now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\x07\u202e") || !strings.Contains(buf.String(), `Evil \x1b]0;pwned\x07 CA \u202eelgoog`) {
		t.Fatalf("table passes terminal controls or hides them:\n%q", buf.String())
	}
	buf.Reset()
	if err := JSON(&buf, s, now); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\x07\u202e") {
		t.Fatalf("JSON output carries raw terminal controls: %q", buf.String())
	}
	var doc struct {
		Endpoints []struct {
			Name string `json:"name"`
			Leaf *struct {
				Issuer string   `json:"issuer"`
				SANs   []string `json:"sans"`
			} `json:"leaf"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range doc.Endpoints {
		if e.Name == "web-ok" && (e.Leaf.Issuer != "CN="+hostile || e.Leaf.SANs[1] != "\u202etset.b") {
			t.Fatalf("JSON changed the values: %q %q", e.Leaf.Issuer, e.Leaf.SANs)
		}
	}
}

func TestTableTellsSequentialSerialsApartAndShowsOKNotes(t *testing.T) {
	f, err := (&model.Config{}).Resolve()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		target, _ := model.ParseTarget(n + ":443")
		f.Endpoints = append(f.Endpoints, model.Endpoint{Name: n, Address: n + ":443", Target: target, SNI: n, Thresholds: f.Thresholds})
	}
	s := model.NewState(f)
	// openssl -CAcreateserial issues serials that differ in their last digits.
	a := good("a", "3218fde1a7c46b6e", now.AddDate(0, 0, 80))
	b := good("b", "3218fde1a7c46b6f", now.AddDate(0, 0, 80))
	c := good("c", "3218fde1a7c46c70", now.AddDate(0, 0, 80))
	c.ClientCert = model.ClientCertInfo{Requested: true, Required: true}
	s.Apply(now, []model.Event{a, b, c})
	var buf bytes.Buffer
	if err := Table(&buf, s, now, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, tail := range []string{"…a7c46b6e", "…a7c46b6f", "…a7c46c70"} {
		if strings.Count(out, tail) != 1 {
			t.Errorf("serial label %s appears %d times, want once:\n%s", tail, strings.Count(out, tail), out)
		}
	}
	if v := s.Endpoint("c").Verdict; v.Status != model.OK || len(v.Reasons) == 0 {
		t.Fatalf("fixture: c should be OK with a note, is %v %q", v.Status, v.Reasons)
	}
	if !strings.Contains(out, s.Endpoint("c").Verdict.Reasons[0]) {
		t.Errorf("the OK row's note %q is missing:\n%s", s.Endpoint("c").Verdict.Reasons[0], out)
	}
}
