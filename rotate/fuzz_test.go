package rotate

import (
	"encoding/json"
	"testing"
)

// FuzzParseMeta: meta.json is read back from disk (store ls, rollback) and
// may be damaged or hand-edited; it must give errors, never panic.
func FuzzParseMeta(f *testing.F) {
	good, _ := json.Marshal(Meta{Version: "v0001", VersionSummary: VersionSummary{Serial: "0a1b", SHA256: "0000000000000000000000000000000000000000000000000000000000000000"},
		Files: map[string]string{"cert.pem": "1111111111111111111111111111111111111111111111111111111111111111"}})
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":"../x","serial":"zz"}`))
	f.Add([]byte(`{"files":{"../../etc/passwd":"00"}}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMeta(data)
		if err != nil {
			return
		}
		if !IsVersionName(m.Version) || !isHex(m.Serial) {
			t.Fatalf("accepted meta with version %q serial %q", m.Version, m.Serial)
		}
		for name := range m.Files {
			if !isPlainName(name) {
				t.Fatalf("accepted file name %q", name)
			}
		}
	})
}

// FuzzPlanInputs: publish inputs are operator-supplied files (or a certbot
// lineage); any bytes must give a plan or an error, never a panic, and
// nothing is written.
//
// Run with a short minimisation time: with a real certificate as seed,
// early mutations find new coverage often and the default 60 s minimisation
// per input makes the run look stalled:
//
//	go test -run '^$' -fuzz FuzzPlanInputs -fuzztime 30s -fuzzminimizetime 2s ./rotate
func FuzzPlanInputs(f *testing.F) {
	leaf := issue(f, "fuzz.example.test")
	f.Add(leaf.FullchainPEM(), leaf.KeyPEM())
	f.Add(leaf.CertPEM(), leaf.CertPEM())
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{}, []byte{0})
	s := newTestStore(f)
	f.Fuzz(func(t *testing.T, chain, key []byte) {
		p, err := s.Plan(t.Context(), "fuzz", Inputs{Fullchain: chain, Key: key, CA: fixtures.root.RootPEM()})
		if err == nil && (p == nil || p.New.Serial == "") {
			t.Fatal("plan without error but without a candidate")
		}
	})
}
