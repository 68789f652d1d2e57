package rotate

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestAuditLineKeepsAReloadsOutcomeNotItsOutput: README (Audit log) says
// a server's output is not kept. A failed reload's line records its
// state, exit status and error; what the server said (here a reply that
// a HAProxy echo or an HTTP body would carry) is shown, not logged.
func TestAuditLineKeepsAReloadsOutcomeNotItsOutput(t *testing.T) {
	fx := newEngineFixture(t)
	const said = "SERVER-SAID-this-free-text"
	fx.behave["web-nginx"] = func(context.Context) ReloadResult {
		return ReloadResult{Err: errors.New("exec nginx -s reload: exit status 7"), ExitCode: 7, Output: "nginx: " + said + "\nline two"}
	}
	a, err := fx.engine(false).Reload("web-1")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := a.Run(t.Context(), nil)
	if !strings.Contains(strings.Join(out.Lines(), "\n"), said) {
		t.Errorf("the output is not shown: %q", out.Lines())
	}
	raw, err := os.ReadFile(fx.audit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), said) {
		t.Errorf("the audit log keeps the server's output: %s", raw)
	}
	lines := fx.auditLines()
	if len(lines) != 1 {
		t.Fatalf("%d audit lines", len(lines))
	}
	l := lines[0]
	if l.State != OutcomeFailed || !strings.Contains(l.Result, "exit status 7") || len(l.Reloads) != 1 || l.Reloads[0].ExitCode != 7 || l.Reloads[0].OK {
		t.Errorf("the outcome is not recorded: %+v", l)
	}
}
