package model

import (
	"math/big"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// leafExpiring is a certificate issued a year ago, expiring in "in": long
// lived, so the default thresholds fire at their fixed 30d and 7d.
func leafExpiring(in time.Duration) CertInfo {
	return CertInfo{Serial: "01", NotBefore: now.Add(-365 * 24 * time.Hour), NotAfter: now.Add(in)}
}

func goodObservation(left time.Duration) *Observation {
	return &Observation{Endpoint: "a", Time: now, Chain: []CertInfo{leafExpiring(left)}, Verified: true, HostnameOK: true}
}

func TestClassifyEndpoint(t *testing.T) {
	th := Thresholds{Warn: Threshold{Duration: 30 * 24 * time.Hour}, Crit: Threshold{Duration: 7 * 24 * time.Hour}}
	tests := []struct {
		name   string
		obs    func() *Observation
		want   Status
		reason string
	}{
		{"not probed", func() *Observation { return nil }, Unknown, "not probed"},
		{"healthy", func() *Observation { return goodObservation(60 * 24 * time.Hour) }, OK, ""},
		{"warn window", func() *Observation { return goodObservation(20 * 24 * time.Hour) }, Warn, "expires in 20 days"},
		{"crit window", func() *Observation { return goodObservation(3 * 24 * time.Hour) }, Crit, "expires in 3 days"},
		{"expired", func() *Observation { return goodObservation(-48 * time.Hour) }, Crit, "expired"},
		{"not yet valid", func() *Observation {
			o := goodObservation(90 * 24 * time.Hour)
			o.Chain[0].NotBefore = now.Add(time.Hour)
			return o
		}, Crit, "not valid until"},
		{"unverified", func() *Observation {
			o := goodObservation(60 * 24 * time.Hour)
			o.Verified, o.VerifyError = false, "signed by an unknown authority"
			return o
		}, Crit, "unknown authority"},
		{"wrong host", func() *Observation {
			o := goodObservation(60 * 24 * time.Hour)
			o.HostnameOK = false
			return o
		}, Crit, "host name"},
		{"chain order", func() *Observation {
			o := goodObservation(60 * 24 * time.Hour)
			o.ChainProblems = []string{"certificate 2 is not signed by certificate 3"}
			return o
		}, Warn, "chain order"},
		{"probe error", func() *Observation {
			return &Observation{Endpoint: "a", Error: "connection refused", ErrKind: ErrRefused}
		}, Error, "refused"},
		{"worst reason first", func() *Observation {
			o := goodObservation(20 * 24 * time.Hour)
			o.HostnameOK = false
			return o
		}, Crit, "host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ClassifyEndpoint(tt.obs(), th, now)
			if v.Status != tt.want {
				t.Fatalf("status %s, want %s (reasons %q)", v.Status, tt.want, v.Reasons)
			}
			if tt.reason != "" && (len(v.Reasons) == 0 || !strings.Contains(v.Reasons[0], tt.reason)) {
				t.Fatalf("first reason %q, want it to mention %q", v.Reasons, tt.reason)
			}
		})
	}
}

func TestStatusOrderPutsWorstFirst(t *testing.T) {
	order := []Status{OK, Unknown, Warn, Crit, Error}
	for i := 1; i < len(order); i++ {
		if Worse(order[i-1], order[i]) != order[i] {
			t.Errorf("%s should be worse than %s", order[i], order[i-1])
		}
	}
	for _, s := range AllStatuses {
		if s.Glyph() == "" || s.String() == "" || strings.HasPrefix(s.String(), "Status(") {
			t.Errorf("status %d lacks a glyph or word", s)
		}
	}
}

func TestSerialHexKeepsWholeBytesLikeOpenSSL(t *testing.T) {
	tests := []struct {
		in   *big.Int
		want string
	}{
		{big.NewInt(0x08d27b), "08d27b"}, // Text(16) would say "8d27b"
		{big.NewInt(0xff), "ff"},
		{big.NewInt(0), "00"},
		{big.NewInt(-0x0102), "-0102"},
		{new(big.Int).SetBytes([]byte{0x00, 0x8f, 0x01}), "8f01"},
	}
	for _, tt := range tests {
		if got := SerialHex(tt.in); got != tt.want {
			t.Errorf("SerialHex(%x) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDaysLeftRoundsDownAndGoesNegative(t *testing.T) {
	if d := DaysLeft(now.Add(47*time.Hour), now); d != 1 {
		t.Errorf("47h left = %d days, want 1", d)
	}
	if d := DaysLeft(now.Add(-time.Hour), now); d != -1 {
		t.Errorf("expired an hour ago = %d days, want -1", d)
	}
}
