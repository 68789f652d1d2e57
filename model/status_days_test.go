package model

import (
	"strings"
	"testing"
	"time"
)

// An expiry a few hours past reads "1 day ago", not "1 days ago".
func TestExpiredReasonSaysOneDayInTheSingular(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) // shadows the package clock
	c := &CertInfo{NotBefore: now.Add(-90 * 24 * time.Hour), NotAfter: now.Add(-5 * time.Hour)}
	v := ClassifyCert(c, Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}, now)
	if v.Status != Crit || len(v.Reasons) != 1 || !strings.HasSuffix(v.Reasons[0], "(1 day ago)") {
		t.Fatalf("expired 5 hours ago: %s %q", v.Status, v.Reasons)
	}
}
