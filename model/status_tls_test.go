package model

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The wrong-host reason says which host was checked and what the
// certificate covers, and stays one table line for a certificate with
// hundreds of names.
func TestHostMismatchReasonNamesBoth(t *testing.T) {
	o := goodObservation(60 * 24 * time.Hour)
	o.HostnameOK, o.HostChecked = false, "www.example.com"
	o.Chain[0].SANs = []string{"a.example", "b.example"}
	v := ClassifyEndpoint(o, Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}, now)
	if want := "certificate does not match host www.example.com (it covers a.example, b.example)"; v.Status != Crit || v.Reasons[0] != want {
		t.Fatalf("verdict = %s %q, want CRIT %q", v.Status, v.Reasons, want)
	}

	many := make([]string, 500)
	for i := range many {
		many[i] = fmt.Sprintf("host-%03d.example.net", i)
	}
	o.Chain[0].SANs = many
	reason := ClassifyEndpoint(o, Thresholds{}, now).Reasons[0]
	if len(reason) > 200 || !strings.Contains(reason, "host-000.example.net") || !strings.HasSuffix(reason, " more)") {
		t.Fatalf("reason (%d bytes) = %q, want the first names and a count of the rest, under 200 bytes", len(reason), reason)
	}

	o.Chain[0].SANs, o.Chain[0].SubjectCN = nil, "legacy.example"
	if reason := ClassifyEndpoint(o, Thresholds{}, now).Reasons[0]; !strings.Contains(reason, `no subject alternative names; its CN "legacy.example"`) {
		t.Fatalf("reason = %q, want the CN-only certificate explained", reason)
	}
}

// OCSP and client-certificate rules as an operator reads them.
func TestStapleAndClientCertificateRules(t *testing.T) {
	revokedAt := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		ocsp   OCSPInfo
		client ClientCertInfo
		want   Status
		reason string
	}{
		{name: "no staple", want: OK},
		{name: "good", ocsp: OCSPInfo{Stapled: true, Status: OCSPGood}, want: OK},
		{name: "revoked", ocsp: OCSPInfo{Stapled: true, Status: OCSPRevoked, RevokedAt: revokedAt, Reason: "keyCompromise"},
			want: Crit, reason: "revoked (stapled OCSP, keyCompromise, 2026-11-20)"},
		{name: "revoked and stale", ocsp: OCSPInfo{Stapled: true, Status: OCSPRevoked, RevokedAt: revokedAt, Reason: "superseded", Error: "stale"},
			want: Crit, reason: "revoked (stapled OCSP, superseded, 2026-11-20)"},
		{name: "stale good", ocsp: OCSPInfo{Stapled: true, Status: OCSPGood, Error: "stale: its next update was due 2026-11-22 00:00:00"},
			want: Warn, reason: "stapled OCSP response: stale"},
		{name: "not for this certificate", ocsp: OCSPInfo{Stapled: true, Error: "it covers serial 0a"}, want: Warn, reason: "covers serial 0a"},
		{name: "unknown", ocsp: OCSPInfo{Stapled: true, Status: OCSPUnknown}, want: Warn, reason: "says unknown"},
		{name: "client certificate required, none configured", client: ClientCertInfo{Requested: true, Required: true},
			want: OK, reason: "requires a client certificate; none configured"},
		{name: "configured client certificate refused", client: ClientCertInfo{Requested: true, Required: true, Sent: true},
			want: Warn, reason: "refused the configured client certificate"},
		{name: "client certificate accepted", client: ClientCertInfo{Requested: true, Sent: true}, want: OK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := goodObservation(60 * 24 * time.Hour)
			o.OCSP, o.ClientCert = tc.ocsp, tc.client
			v := ClassifyEndpoint(o, Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}, now)
			got := strings.Join(v.Reasons, "; ")
			if v.Status != tc.want || !strings.Contains(got, tc.reason) || (tc.reason == "" && got != "") {
				t.Fatalf("verdict = %s %q, want %s with %q", v.Status, v.Reasons, tc.want, tc.reason)
			}
		})
	}
}
