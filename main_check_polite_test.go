package main

import (
	"encoding/json"
	"strings"
	"testing"

	"certdeck/demo/pki"
)

// --all-ips lists each address's result; --rate-limit and
// --per-ip-concurrency are checked like the config's keys.
func TestCheckAllIPsAndProbingLimitFlags(t *testing.T) {
	addr, caFile, serial := checkServer(t, pki.Options{})
	out, code, _ := runCheckCmd(t, addr, "--ca", caFile, "--sni", "svc.test", "--format", "json",
		"--all-ips", "--rate-limit", "50", "--per-ip-concurrency", "2")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var doc struct {
		Endpoints []struct {
			Addresses []struct {
				IP   string `json:"ip"`
				Leaf struct {
					Serial string `json:"serial"`
				} `json:"leaf"`
			} `json:"addresses"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if a := doc.Endpoints[0].Addresses; len(a) != 1 || a[0].IP != "127.0.0.1" || a[0].Leaf.Serial != serial {
		t.Errorf("addresses = %+v, want 127.0.0.1 serving %s", a, serial)
	}
	for _, bad := range [][]string{{"--rate-limit", "-2"}, {"--per-ip-concurrency", "-1"}, {"--per-ip-concurrency", "100000"}} {
		_, code, err := runCheckCmd(t, append([]string{addr}, bad...)...)
		if code != 3 || err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: exit %d, error %v; want exit 3 naming the flag", bad, code, err)
		}
	}
}
