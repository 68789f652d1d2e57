package rotate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestAuditVerifyElapsedIsWholeMilliseconds: an audit line's verify[]
// says elapsed_ms in whole milliseconds, like its duration_ms fields,
// and lines written before (elapsed in nanoseconds) still decode.
func TestAuditVerifyElapsedIsWholeMilliseconds(t *testing.T) {
	v := VerifyResult{Endpoint: "api", State: EndpointVerified, Serial: "03a4", Want: "03a4", Attempts: 4, Elapsed: 1002670117 * time.Nanosecond}
	line, err := json.Marshal(AuditEntry{Action: KindReload, Verify: []VerifyResult{v}, Rollback: &AuditLeg{Verify: []VerifyResult{v}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(line), `"elapsed_ms":1002}`) != 2 || strings.Contains(string(line), `"elapsed":`) {
		t.Fatalf("audit line %s: want elapsed_ms 1002 in verify and the rollback's verify, and no elapsed", line)
	}
	for _, tc := range []struct {
		name, line string
		want       time.Duration
	}{
		{"this line", string(line), 1002 * time.Millisecond},
		{"a line written before elapsed_ms", `{"action":"reload","verify":[{"endpoint":"api","state":"verified","attempts":4,"elapsed":1002670117}],"rollback":{"verify":[{"endpoint":"api","state":"verified","elapsed":1002670117}]}}`, 1002670117},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e AuditEntry
			if err := json.Unmarshal([]byte(tc.line), &e); err != nil {
				t.Fatal(err)
			}
			if len(e.Verify) != 1 || e.Verify[0].Elapsed != tc.want || e.Verify[0].Endpoint != "api" || e.Verify[0].State != EndpointVerified ||
				e.Rollback == nil || len(e.Rollback.Verify) != 1 || e.Rollback.Verify[0].Elapsed != tc.want {
				t.Fatalf("decoded %+v (rollback %+v), want elapsed %s", e.Verify, e.Rollback, tc.want)
			}
		})
	}
}
