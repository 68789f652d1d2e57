package rotate

import (
	"strings"
	"testing"
	"time"
)

// TestActionResultsSayDurationsUnderASecondInMilliseconds: a reload's
// "ok in …" and a verification's time say 41ms, not 0s; a signal sent in
// microseconds is "<1ms".
func TestActionResultsSayDurationsUnderASecondInMilliseconds(t *testing.T) {
	for _, tc := range []struct {
		took time.Duration
		want string
	}{
		{0, "0ms"},
		{80 * time.Microsecond, "<1ms"},
		{41*time.Millisecond + 400*time.Microsecond, "41ms"},
		{999 * time.Millisecond, "999ms"},
		{1204*time.Millisecond + 300*time.Microsecond, "1.204s"},
		{time.Minute, "1m0s"},
	} {
		lines := []string{
			ReloadRun{Name: "hup", Kind: "signal", OK: true, Duration: tc.took}.Describe(),
			VerifyResult{Endpoint: "web", State: EndpointVerified, Serial: "03a4", Want: "03a4", Attempts: 1, Elapsed: tc.took}.Describe(),
			VerifyResult{Endpoint: "web", State: EndpointStillServing, Serial: "01d2", Want: "03a4", Elapsed: tc.took}.Describe(),
			VerifyResult{Endpoint: "web", State: EndpointVerified, Serial: "03a4", Want: "03a4", Attempts: 1, Elapsed: tc.took}.describeTicket(),
		}
		wants := []string{"ok in " + tc.want, "1 probe, " + tc.want + ")", "after " + tc.want, "1 probe, " + tc.want + ")"}
		for i, l := range lines {
			if !strings.HasSuffix(l, wants[i]) {
				t.Errorf("took %v: %q, want it to end in %q", tc.took, l, wants[i])
			}
		}
	}
}
