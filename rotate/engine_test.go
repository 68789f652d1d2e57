package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A bundle's reload runs each configured reload once (web-1 by the
// bundle's web-nginx, web-2 by its own web-2-hup) and verifies that every
// endpoint now serves the bundle's current serial.
func TestReloadBundleRunsEachReloadOnceAndVerifiesEveryEndpoint(t *testing.T) {
	fx := newEngineFixture(t)
	a, err := fx.engine(false).Reload("web")
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	out, err := a.Run(t.Context(), func(p Progress) { phases = append(phases, p.Phase+" "+p.Target) })
	if err != nil || out.State != OutcomeOK {
		t.Fatalf("reload web: %v (state %s)", err, out.State)
	}
	want := fx.serials["web"][1]
	for _, ep := range []string{"web-1", "web-2"} {
		if got := fx.servers.get(ep); got != want {
			t.Errorf("%s serves %s, want %s", ep, got, want)
		}
	}
	if fx.runs("web-nginx") != 1 || fx.runs("web-2-hup") != 1 {
		t.Errorf("reloads ran web-nginx %d, web-2-hup %d times; want once each", fx.runs("web-nginx"), fx.runs("web-2-hup"))
	}
	if s := stateOf(out.Forward.Verify); s["web-1"] != EndpointVerified || s["web-2"] != EndpointVerified {
		t.Errorf("verification %v", s)
	}
	if !strings.Contains(out.Summary(), "verified: 2/2 endpoints serve "+want) {
		t.Errorf("summary %q", out.Summary())
	}
	joined := strings.Join(phases, "|")
	if !strings.Contains(joined, "verified web-1") || !strings.Contains(joined, "verified web-2") {
		t.Errorf("progress did not report each endpoint verified: %s", joined)
	}
	lines := fx.auditLines()
	if len(lines) != 1 || lines[0].Action != KindReload || lines[0].State != OutcomeOK || len(lines[0].Verify) != 2 ||
		len(lines[0].Reloads) != 2 || len(lines[0].Steps) != 2 || lines[0].NewSerial != want || !strings.Contains(lines[0].User, "@") {
		t.Errorf("audit lines %+v, want one reload line with both reloads, steps and verifications", lines)
	}
}

// A reload that "succeeds" without taking effect leaves the old serial
// served: without on_verify_fail the outcome is unverified and names the
// serial still served; nothing else changes.
func TestReloadWithoutEffectIsStillServingAndChangesNothingElse(t *testing.T) {
	fx := newEngineFixture(t)
	fx.behave["web-nginx"] = func(context.Context) ReloadResult { return ReloadResult{} }
	a, err := fx.engine(false).ReloadBundle("web")
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Run(t.Context(), nil)
	if err == nil || out.State != OutcomeUnverified {
		t.Fatalf("state %s, err %v; want unverified", out.State, err)
	}
	old := fx.serials["web"][0]
	v := out.Forward.Verify[0]
	if v.Endpoint != "web-1" || v.State != EndpointStillServing || v.Serial != old || v.Elapsed < model30s() {
		t.Errorf("web-1 verification %+v, want still serving %s after the 30s default", v, old)
	}
	if !strings.Contains(v.Describe(), "still serving "+old) || !strings.Contains(out.Error, "still serving "+old) {
		t.Errorf("texts do not say what is still served: %q / %q", v.Describe(), out.Error)
	}
	if fx.current("web") != "v0002" || out.Back != nil {
		t.Errorf("current %s, rollback %+v: a bundle without on_verify_fail must not be rolled back", fx.current("web"), out.Back)
	}
}

func model30s() time.Duration { return 30 * time.Second }

// on_verify_fail: rollback: a publish + reload whose new serial is not
// served rolls the store back, reloads again and verifies the previous
// serial; both legs are in the outcome and the audit line.
func TestPublishNotServedIsRolledBackAndTheOldSerialVerified(t *testing.T) {
	fx := newEngineFixture(t)
	calls := 0
	fx.behave["api-nginx"] = func(context.Context) ReloadResult {
		// The first reload reads another file (the new certificate is
		// never served); the rollback's reload works.
		calls++
		if calls > 1 {
			fx.servers.set("api-1", fx.currentSerial("api"))
		}
		return ReloadResult{}
	}
	inputs, leaf := newerInputs(t, "api")
	a, err := fx.engine(false).Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Run(t.Context(), nil)
	if err == nil || out.State != OutcomeRolledBack {
		t.Fatalf("state %s, err %v; want rolled-back", out.State, err)
	}
	newSerial := out.Forward.Store.New.Serial
	if newSerial == "" || out.Forward.Verify[0].State != EndpointStillServing || out.Forward.Verify[0].Serial != fx.serials["api"][0] {
		t.Errorf("forward leg %+v", out.Forward.Verify)
	}
	if out.Back == nil || out.Back.Store == nil || out.Back.Store.New.Name != "v0002" || out.Back.Verify[0].State != EndpointVerified ||
		out.Back.Verify[0].Serial != fx.serials["api"][1] {
		t.Fatalf("rollback leg %+v", out.Back)
	}
	if fx.current("api") != "v0002" || fx.runs("api-nginx") != 2 {
		t.Errorf("current %s after %d reloads; want v0002 restored after two", fx.current("api"), fx.runs("api-nginx"))
	}
	if out.Forward.Verify[0].Elapsed != 20*time.Second {
		t.Errorf("forward verification took %v, want the bundle's verify_timeout 20s", out.Forward.Verify[0].Elapsed)
	}
	if !strings.Contains(out.Summary(), "ROLLED BACK") || !strings.Contains(out.Error, "rolled back to v0002") {
		t.Errorf("summary %q", out.Summary())
	}
	lines := fx.auditLines()
	if len(lines) != 1 || lines[0].Rollback == nil || lines[0].Rollback.NewVersion != "v0002" || lines[0].State != OutcomeRolledBack ||
		lines[0].NewVersion != "v0003" || len(lines[0].Rollback.Verify) != 1 {
		t.Fatalf("audit %+v, want one publish line with its rollback leg", lines)
	}
	noKeyBytes(t, strings.Join(out.Lines(), "\n"), leaf)
}

// A rollback that does not verify either is its own, loudest outcome.
func TestRollbackThatFailsToVerifyIsTheLoudestOutcome(t *testing.T) {
	fx := newEngineFixture(t)
	fx.behave["api-nginx"] = func(context.Context) ReloadResult {
		fx.servers.setDown("api-1", true) // the reload took the server down
		return ReloadResult{}
	}
	inputs, _ := newerInputs(t, "api")
	a, _ := fx.engine(false).Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
	out, err := a.Run(t.Context(), nil)
	if err == nil || out.State != OutcomeRollbackFailed {
		t.Fatalf("state %s, err %v; want rollback-failed", out.State, err)
	}
	if v := out.Back.Verify[0]; v.State != EndpointProbeError || !strings.Contains(v.Error, "connection refused") {
		t.Errorf("rollback verification %+v, want the probe error", v)
	}
	if !strings.Contains(out.Summary(), "ROLLBACK FAILED") {
		t.Errorf("summary %q does not shout", out.Summary())
	}
}

// A second action on a bundle that is busy is refused with a message
// naming what runs; an endpoint of that bundle is busy too; an unrelated
// bundle is not; the registry shows what runs and its progress.
func TestSecondActionOnABusyBundleIsRefused(t *testing.T) {
	fx := newEngineFixture(t)
	inReload, release := make(chan struct{}), make(chan struct{})
	fx.behave["web-nginx"] = func(context.Context) ReloadResult {
		close(inReload)
		<-release
		fx.servers.set("web-1", fx.currentSerial("web"))
		return ReloadResult{}
	}
	e := fx.engine(false)
	first, _ := e.ReloadBundle("web")
	done := make(chan *Outcome)
	go func() {
		out, _ := first.Run(context.Background(), nil)
		done <- out
	}()
	<-inReload
	running := e.Registry().Snapshot()
	if len(running) != 1 || running[0].Kind != KindReload || running[0].Subject != "web" {
		t.Fatalf("registry %+v, want the reload of web", running)
	}
	if h, ok := e.Registry().Holding(EndpointClaim("web-2")); !ok || h.ID != running[0].ID {
		t.Errorf("web-2 not held by the running reload: %+v %v", h, ok)
	}
	inputs, _ := newerInputs(t, "web")
	second, _ := e.Publish(PublishRequest{Bundle: "web", Inputs: inputs, Verify: true})
	out, err := second.Run(t.Context(), nil)
	var busy *BusyError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &busy) || out.State != OutcomeRefused || !strings.Contains(err.Error(), "reload of web has been running since") {
		t.Fatalf("second action: %v (state %s), want busy naming the reload of web", err, out.State)
	}
	if fx.current("web") != "v0002" {
		t.Fatalf("the refused publish changed current to %s", fx.current("web"))
	}
	ep, _ := e.ReloadEndpoints("web-2")
	if _, err := ep.Run(t.Context(), nil); !errors.Is(err, ErrBusy) {
		t.Errorf("reload of web-2 while its bundle reloads: %v, want busy", err)
	}
	other, _ := e.ReloadBundle("api")
	if out, err := other.Run(t.Context(), nil); err != nil {
		t.Errorf("unrelated bundle api refused: %v (%s)", err, out.State)
	}
	close(release)
	if out := <-done; out.State != OutcomeOK {
		t.Fatalf("first action %s: %s", out.State, out.Error)
	}
	if n := len(e.Registry().Snapshot()); n != 0 {
		t.Fatalf("%d actions still registered after the end", n)
	}
	if out, err := second.Run(t.Context(), nil); err != nil || out.State != OutcomeOK {
		t.Fatalf("the same publish after the reload ended: %v (%s)", err, out.State)
	}
	for _, l := range fx.auditLines() {
		if l.State == OutcomeRefused {
			t.Errorf("a busy refusal was audited: %+v", l)
		}
	}
}

// --read-only: the engine refuses every action itself, whatever the UI
// let through; nothing changes and no reload runs.
func TestReadOnlyEngineRefusesEveryAction(t *testing.T) {
	fx := newEngineFixture(t)
	e := fx.engine(true)
	inputs, _ := newerInputs(t, "web")
	pub, _ := e.Publish(PublishRequest{Bundle: "web", Inputs: inputs, Reload: true, Verify: true})
	rb, _ := e.Rollback(RollbackRequest{Bundle: "web"})
	rl, _ := e.Reload("web")
	ep, _ := e.ReloadEndpoints("web-2")
	pr, _ := e.Prune(PruneRequest{Bundle: "web", Keep: 1})
	for name, a := range map[string]Action{"publish": pub, "rollback": rb, "reload": rl, "reload endpoint": ep, "prune": pr} {
		out, err := a.Run(t.Context(), nil)
		if !errors.Is(err, ErrReadOnly) || out.State != OutcomeRefused {
			t.Errorf("%s in read-only mode: %v (%s)", name, err, out.State)
		}
	}
	if fx.current("web") != "v0002" || fx.runs("web-nginx") != 0 || fx.runs("web-2-hup") != 0 || len(fx.auditLines()) != 0 {
		t.Fatalf("read-only engine changed something: current %s, reloads %v, audit %d", fx.current("web"), fx.ran, len(fx.auditLines()))
	}
	// Plans still work: the dry run and the dialog need them.
	if p, err := pub.Plan(t.Context()); err != nil || p.NewVersion != "v0003" {
		t.Errorf("plan in read-only mode: %+v, %v", p, err)
	}
}

// Cancel from the registry (the console) ends a verification that would
// otherwise wait out its timeout.
func TestCancelEndsAWaitingVerification(t *testing.T) {
	fx := newEngineFixture(t)
	fx.behave["web-nginx"] = func(context.Context) ReloadResult { return ReloadResult{} }
	e := NewEngine(EngineOptions{Fleet: fx.fleet, Verifier: fx.servers, Store: StoreOptions{AuditLog: "-"},
		MakeReload: fx.engine(false).opt.MakeReload}) // real clock: only Cancel ends it early
	a, _ := e.ReloadBundle("web")
	done := make(chan *Outcome)
	go func() {
		out, _ := a.Run(context.Background(), nil)
		done <- out
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if rs := e.Registry().Snapshot(); len(rs) == 1 && rs[0].Phase == PhaseVerifying {
			e.Registry().Cancel(rs[0].ID)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the action never started verifying")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case out := <-done:
		if out.State != OutcomeCancelled {
			t.Fatalf("state %s after cancel", out.State)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not end the verification")
	}
}

// The plan says exactly what Run would do (the store change with old →
// new version and serial, each reload's argv, the endpoints verified and
// the rollback a failure would trigger) and changes nothing.
func TestPlanDescribesEverythingAndChangesNothing(t *testing.T) {
	fx := newEngineFixture(t)
	inputs, leaf := newerInputs(t, "api")
	a, _ := fx.engine(false).Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
	p, err := a.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if p.OldVersion != "v0002" || p.NewVersion != "v0003" || p.OldSerial != fx.serials["api"][1] || p.NewSerial != leaf.Cert.SerialNumber.Text(16) && p.NewSerial == "" {
		t.Errorf("plan versions %+v", p)
	}
	text := strings.Join(p.Lines(), "\n")
	for _, want := range []string{
		"publish api: v0002 → v0003", `argv: nginx -p "/srv/api prefix" -s reload`, "verify    api-1 (127.0.0.1:8443) serves " + p.NewSerial,
		"up to 20s", "if verification fails: roll api back to v0002, run the reloads again",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan does not say %q:\n%s", want, text)
		}
	}
	if fx.current("api") != "v0002" || fx.runs("api-nginx") != 0 || len(fx.auditLines()) != 0 {
		t.Fatal("planning changed something")
	}
	noKeyBytes(t, text, leaf)
}

// The console's p (publish, no reload) verifies only the endpoints that
// pick the certificate up by themselves, and says the others need one.
func TestPublishWithoutReloadVerifiesOnlyEndpointsThatNeedNone(t *testing.T) {
	fx := newEngineFixture(t)
	e := fx.engine(false)
	inputs, _ := newerInputs(t, "web")
	a, _ := e.Publish(PublishRequest{Bundle: "web", Inputs: inputs, Verify: true})
	p, _ := a.Plan(t.Context())
	if len(p.Verify) != 0 || len(p.Warnings) == 0 || !strings.Contains(p.Warnings[0], "web-1, web-2 have a reload this action does not run") {
		t.Errorf("plan verify %v warnings %q", p.Verify, p.Warnings)
	}
	out, err := a.Run(t.Context(), nil)
	if err != nil || fx.runs("web-nginx") != 0 || len(out.Forward.Verify) != 0 {
		t.Fatalf("publish without reload: %v, reloads %d, verify %v", err, fx.runs("web-nginx"), out.Forward.Verify)
	}
	// app's go-app needs no reload (a rotate.Reloader follows current).
	fx.servers.follow["go-app"] = func() string { return fx.currentSerial("app") }
	appInputs, _ := newerInputs(t, "app")
	app, _ := e.Publish(PublishRequest{Bundle: "app", Inputs: appInputs, Verify: true})
	out, err = app.Run(t.Context(), nil)
	if err != nil || len(out.Forward.Verify) != 1 || out.Forward.Verify[0].State != EndpointVerified {
		t.Fatalf("app publish: %v, verify %+v", err, out.Forward.Verify)
	}
}

// An endpoint's reload is its own (web-2: web-2-hup), verified against
// the serial of the bundle that serves it; a failing reload is reported
// with its exit status and output, and nothing else runs but one look at
// its endpoint.
func TestReloadEndpointUsesItsOwnReloadAndReportsAFailure(t *testing.T) {
	fx := newEngineFixture(t)
	e := fx.engine(false)
	a, err := e.Reload("web-2")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := a.Run(t.Context(), nil); err != nil || fx.runs("web-2-hup") != 1 || fx.runs("web-nginx") != 0 ||
		out.Forward.Verify[0].Serial != fx.serials["web"][1] {
		t.Fatalf("reload web-2: %v; reloads %v", err, fx.ran)
	}
	fx.behave["web-nginx"] = func(context.Context) ReloadResult {
		return ReloadResult{Err: errors.New("exit status 1"), ExitCode: 1, Output: "nginx: [emerg] cannot load certificate\x1b[31m"}
	}
	b, _ := e.Reload("web-1")
	out, err := b.Run(t.Context(), nil)
	if err == nil || out.State != OutcomeFailed || out.Forward.Reloads[0].ExitCode != 1 || !strings.Contains(out.Error, "exit status 1") {
		t.Fatalf("failed reload: %v, %+v", err, out)
	}
	// The output is shown with the reload's line; the outcome's error,
	// which the audit line keeps, holds none of it.
	if lines := strings.Join(out.Lines(), "\n"); !strings.Contains(lines, "cannot load certificate") || strings.Contains(out.Error, "cannot load certificate") {
		t.Errorf("output shown %q, error %q: want the reload's output in the lines only", lines, out.Error)
	}
	// An endpoint whose reload failed gets one look, which records what
	// it still serves, and no wait for a serial its reload did not load.
	if v := out.Forward.Verify[0]; v.Attempts != 1 || v.State != EndpointStillServing || v.Serial != fx.serials["web"][0] {
		t.Errorf("an endpoint whose reload failed: %+v, want one look showing %s still served", v, fx.serials["web"][0])
	}
	for _, l := range fx.auditLines() {
		for _, s := range []string{"emerg", "cannot load"} {
			if strings.Contains(strings.Join(stepsText(l.Steps), " "), s) {
				t.Errorf("a server's output reached the audit steps: %+v", l)
			}
		}
	}
}

func stepsText(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Describe())
	}
	return out
}

// Verification backs off (50ms doubling to 2s) until the timeout, keeps
// the last served serial, and stops at the first probe that shows the
// wanted one.
func TestVerifyServedBacksOffUntilTheTimeout(t *testing.T) {
	srv := newFakeServers()
	srv.set("e", "01")
	clock := &fakeClock{now: time.Now()}
	var sleeps []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		sleeps = append(sleeps, d)
		return clock.Sleep(ctx, d)
	}
	opt := VerifyOptions{Timeout: 5 * time.Second, Clock: clock.Now, Sleep: sleep}
	res := VerifyServed(t.Context(), srv, []VerifyTarget{{Endpoint: "e", Want: "02"}}, opt, nil)
	// 50 100 200 400 800 1600 then 1850 to reach 5s: 8 probes.
	want := []time.Duration{50, 100, 200, 400, 800, 1600, 1850}
	if len(sleeps) != len(want) {
		t.Fatalf("sleeps %v, want %v ms", sleeps, want)
	}
	for i, w := range want {
		if sleeps[i] != w*time.Millisecond {
			t.Fatalf("sleeps %v, want %v ms", sleeps, want)
		}
	}
	if r := res[0]; r.State != EndpointStillServing || r.Serial != "01" || r.Attempts != 8 || r.Elapsed != 5*time.Second {
		t.Errorf("result %+v", r)
	}
	// Served from the third probe on: verified after three confirmations
	// (50, 100, 100 ms), six probes in all.
	sleeps = nil
	srv2 := &scriptedServer{script: []string{"old", "old", "02"}}
	res = VerifyServed(t.Context(), srv2, []VerifyTarget{{Endpoint: "e", Want: "02"}}, opt, nil)
	if r := res[0]; r.State != EndpointVerified || r.Attempts != 6 || fmt.Sprint(sleeps) != "[50ms 100ms 50ms 100ms 100ms]" {
		t.Errorf("converging: %+v after sleeps %v", r, sleeps)
	}
}

// One probe showing the new serial proves nothing while the old one can
// still be reached (nginx's old worker accepts for a while after a
// reload): a confirmation that sees the old serial starts over, and the
// endpoint is verified only once the new serial holds through every
// confirmation.
func TestVerifyServedWaitsUntilTheOldCertificateIsGone(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	srv := &scriptedServer{script: []string{"old", "new", "new", "old", "new", "new", "new", "new"}}
	res := VerifyServed(t.Context(), srv, []VerifyTarget{{Endpoint: "e", Want: "new"}}, VerifyOptions{Timeout: 5 * time.Second, Clock: clock.Now, Sleep: clock.Sleep}, nil)
	if r := res[0]; r.State != EndpointVerified || r.Attempts != 8 {
		t.Fatalf("result %+v, want verified on the 8th probe (the 4th still reached the old certificate)", r)
	}
	flapping := &scriptedServer{script: []string{"new", "old"}, repeat: true}
	res = VerifyServed(t.Context(), flapping, []VerifyTarget{{Endpoint: "e", Want: "new"}}, VerifyOptions{Timeout: 2 * time.Second, Clock: clock.Now, Sleep: clock.Sleep}, nil)
	if r := res[0]; r.State != EndpointStillServing || r.Serial != "old" {
		t.Fatalf("an endpoint serving old and new in turn: %+v, want still serving old", r)
	}
}

// scriptedServer answers with its script, one serial per probe, then
// keeps the last (or starts over, with repeat).
type scriptedServer struct {
	n      int
	script []string
	repeat bool
}

func (s *scriptedServer) ServedSerial(context.Context, string) (string, error) {
	i := s.n
	s.n++
	if s.repeat {
		return s.script[i%len(s.script)], nil
	}
	return s.script[min(i, len(s.script)-1)], nil
}

// Names resolve as an operator types them: a bare name is the bundle or
// the endpoint; a bundle that serves the endpoint of its own name wins;
// otherwise the prefixes choose.
func TestReloadResolvesBundleAndEndpointNames(t *testing.T) {
	fx := newEngineFixture(t)
	e := fx.engine(false)
	for subject, wantKind := range map[string]string{"web": "bundle", "web-2": "endpoint", "endpoint/web-1": "endpoint", "bundle/api": "bundle"} {
		a, err := e.Reload(subject)
		if err != nil {
			t.Errorf("%s: %v", subject, err)
			continue
		}
		p, _ := a.Plan(t.Context())
		if got := map[bool]string{true: "bundle", false: "endpoint"}[p.Bundle == p.Subject]; got != wantKind {
			t.Errorf("%s resolved to a %s (%+v)", subject, got, p)
		}
	}
	if _, err := e.Reload("nope"); err == nil || !strings.Contains(err.Error(), "no bundle or endpoint") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := e.Reload("go-app"); err == nil || !strings.Contains(err.Error(), "no reload configured") {
		t.Errorf("endpoint without a reload: %v", err)
	}
}
