package rotate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// nginxEmerg is what `nginx -s reload` says on stderr when its config
// has a typo: it exits 1 and the running nginx keeps serving what it
// served.
const nginxEmerg = `nginx: [emerg] unknown directive "this_is_broken" in /etc/nginx/sites/api.conf:12`

// brokenConfigReload is an exec reload refused by nginx's config check:
// nothing the servers serve changes.
func brokenConfigReload(context.Context) ReloadResult {
	return ReloadResult{
		Err:      errors.New(`exec nginx -p "/srv/api prefix" -s reload: exit status 1`),
		ExitCode: 1, Output: nginxEmerg, Duration: 20 * time.Millisecond,
	}
}

// TestRollbackIsVerifiedByHandshakeWhenItsReloadFails: nginx's config has
// a typo, so the publish's reload and the rollback's both exit 1 while
// nginx serves v0002 all along. The rollback leg verifies by handshake
// all the same and finds v0002 served: rolled back (exit 5), not
// ROLLBACK FAILED. The forward leg gave the endpoint one look (not the
// 20s verify_timeout). The reload's error is said once: the audit line's
// result keeps the exit status (never the server's words), the console's
// headline carries nginx's own words, the CLI's last line names the
// reload, whose own lines carry both.
func TestRollbackIsVerifiedByHandshakeWhenItsReloadFails(t *testing.T) {
	fx := newEngineFixture(t)
	fx.behave["api-nginx"] = brokenConfigReload
	served := fx.serials["api"][1] // nginx was reloaded after v0002, before its config broke
	fx.servers.set("api-1", served)
	inputs, leaf := newerInputs(t, "api")
	a, err := fx.engine(false).Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Run(t.Context(), nil)
	if err == nil || out.State != OutcomeRolledBack {
		t.Fatalf("state %s, err %v; want rolled-back\n%s", out.State, err, strings.Join(out.Lines(), "\n"))
	}
	if fx.current("api") != "v0002" {
		t.Errorf("current %s, want v0002 restored", fx.current("api"))
	}
	fwd := out.Forward.Verify[0]
	if fwd.State != EndpointStillServing || fwd.Serial != served || fwd.Attempts != 1 || fwd.Elapsed >= 20*time.Second {
		t.Errorf("forward leg %+v, want one look showing %s still served", fwd, served)
	}
	back := out.Back.Verify[0]
	if back.State != EndpointVerified || back.Serial != served || back.Attempts == 0 {
		t.Errorf("rollback leg %+v, want verified by handshake serving %s", back, served)
	}

	headline := out.Result()
	for _, want := range []string{"ROLLED BACK: reload api-nginx failed: " + nginxEmerg, "rolled back to v0002 (serial " + served + "), which is served (verified)"} {
		if !strings.Contains(headline, want) {
			t.Errorf("headline %q lacks %q", headline, want)
		}
	}
	if strings.Contains(headline, "exit status") || strings.Count(headline, "[emerg]") != 1 || strings.Contains(headline, "ROLLBACK FAILED") {
		t.Errorf("headline %q: want nginx's words once, no exit status, no ROLLBACK FAILED", headline)
	}
	if n := strings.Count(out.Error, "exit status 1"); n != 1 || strings.Contains(out.Error, "[emerg]") {
		t.Errorf("error (the audit result) %q: want the exit status once and no server output", out.Error)
	}
	lines := out.Lines()
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "publish api: ROLLED BACK: reload api-nginx failed; rolled back to v0002") || strings.Contains(last, "exit status") || strings.Contains(last, "[emerg]") {
		t.Errorf("last line %q: want the reload named, its error left to its own lines", last)
	}
	if n := strings.Count(strings.Join(lines, "\n"), nginxEmerg); n != 2 {
		t.Errorf("nginx's words are on %d lines, want the two reload lines:\n%s", n, strings.Join(lines, "\n"))
	}
	audit := fx.auditLines()
	if len(audit) != 1 || audit[0].State != OutcomeRolledBack || audit[0].Rollback == nil || len(audit[0].Rollback.Verify) != 1 ||
		audit[0].Rollback.Verify[0].Attempts == 0 || strings.Contains(audit[0].Result, "[emerg]") {
		t.Errorf("audit %+v, want rolled-back with the rollback's verification probed, and no server output", audit)
	}
	noKeyBytes(t, strings.Join(lines, "\n")+headline+out.Error, leaf)
}

// TestRollbackFailedStaysForWhatAHandshakeCannotConfirm: with the
// rollback's reload failing too, ROLLBACK FAILED is still the outcome
// when the endpoints provably serve another serial than the restored one,
// or cannot be reached; the reload is said once there too.
func TestRollbackFailedStaysForWhatAHandshakeCannotConfirm(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(fx *engineFixture)
		want  string
	}{
		{"serves another serial", func(fx *engineFixture) { fx.servers.set("api-1", fx.serials["api"][0]) }, "still serving"},
		{"unreachable", func(fx *engineFixture) { fx.servers.setDown("api-1", true) }, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newEngineFixture(t)
			fx.behave["api-nginx"] = brokenConfigReload
			tc.setup(fx)
			inputs, _ := newerInputs(t, "api")
			a, _ := fx.engine(false).Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
			out, err := a.Run(t.Context(), nil)
			if err == nil || out.State != OutcomeRollbackFailed {
				t.Fatalf("state %s, err %v; want rollback-failed", out.State, err)
			}
			if v := out.Back.Verify[0]; v.State == EndpointVerified || v.Attempts < 2 || !strings.Contains(v.Describe(), tc.want) {
				t.Errorf("rollback leg %+v, want probed with backoff and %q", v, tc.want)
			}
			headline := out.Result()
			if !strings.HasPrefix(headline, "ROLLBACK FAILED — ") || strings.Count(headline, "[emerg]") != 1 || strings.Contains(headline, "exit status") ||
				!strings.Contains(headline, "its reload failed too") {
				t.Errorf("headline %q", headline)
			}
		})
	}
}

// TestFailedReloadThatServesTheNewSerialIsNotRolledBack: a reload that
// reports failure but did make nginx load the new certificate (a wrapper
// script failing after `nginx -s reload`) is seen to by the forward leg's
// look, confirmed, and not rolled back: verification did not fail.
func TestFailedReloadThatServesTheNewSerialIsNotRolledBack(t *testing.T) {
	fx := newEngineFixture(t)
	fx.behave["api-nginx"] = func(ctx context.Context) ReloadResult {
		fx.loadsCurrent("api-nginx")(ctx)
		return brokenConfigReload(ctx)
	}
	inputs, _ := newerInputs(t, "api")
	a, _ := fx.engine(false).Publish(PublishRequest{Bundle: "api", Inputs: inputs, Reload: true, Verify: true})
	out, err := a.Run(t.Context(), nil)
	if err == nil || out.State != OutcomeFailed || out.Back != nil {
		t.Fatalf("state %s, err %v, rollback %+v; want failed (the reload), not rolled back", out.State, err, out.Back)
	}
	if v := out.Forward.Verify[0]; v.State != EndpointVerified || v.Attempts != 1+len(DefaultConfirm) {
		t.Errorf("forward leg %+v, want the look confirmed", v)
	}
	if fx.current("api") != "v0003" {
		t.Errorf("current %s, want the served v0003 kept", fx.current("api"))
	}
}

func TestServerWordsPickTheLineThatSaysWhy(t *testing.T) {
	long := "nginx: [emerg] " + strings.Repeat("é", 300)
	for _, tc := range []struct{ name, output, want string }{
		{"none", "", ""},
		{"one line", nginxEmerg + "\n", nginxEmerg},
		{"after warnings", "nginx: [warn] \"ssl_stapling\" ignored\n" + nginxEmerg, nginxEmerg},
		{"before advice", "nginx: [alert] could not open error log file\nJob for nginx.service failed.\nSee \"journalctl -xeu nginx.service\" for details.", "nginx: [alert] could not open error log file"},
		{"haproxy", "[NOTICE]   (1) : haproxy version is 2.6.12\n[ALERT]    (1) : config : parsing [/etc/haproxy/haproxy.cfg:3] : unknown keyword 'this_is_broken'.", "[ALERT]    (1) : config : parsing [/etc/haproxy/haproxy.cfg:3] : unknown keyword 'this_is_broken'."},
		{"no level", "first\nlast words  ", "last words"},
		{"cut", long, string([]rune(long)[:serverWordsMax-1]) + "…"},
	} {
		if got := serverWords(tc.output); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
