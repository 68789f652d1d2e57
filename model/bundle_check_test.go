package model

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"certdeck/demo/pki"
)

// bundleWorld is a CA with an intermediate and two generations of one
// leaf, minted once per test.
type bundleWorld struct {
	ca       *pki.CA
	old, new *pki.Leaf
	at       time.Time
}

func newBundleWorld(t *testing.T) *bundleWorld {
	t.Helper()
	root := pki.Must(pki.NewCA("Bundle Root"))
	mid := pki.Must(root.Intermediate("Bundle Mid"))
	return &bundleWorld{
		ca:  root,
		old: pki.Must(mid.Issue(pki.Options{DNSNames: []string{"web.test"}, NotBefore: time.Now().Add(-48 * time.Hour)})),
		new: pki.Must(mid.Issue(pki.Options{DNSNames: []string{"web.test"}})),
		at:  time.Now(),
	}
}

// certbotFiles is a certbot live dir of generation gen holding leaf.
func certbotFiles(leaf *pki.Leaf, gen int) []BundleFile {
	link := func(name string) string { return fmt.Sprintf("../../archive/web/%s%d.pem", name, gen) }
	return []BundleFile{
		{Name: "cert.pem", Role: RoleCert, Target: link("cert"), Mode: 0o644, Data: leaf.CertPEM()},
		{Name: "chain.pem", Role: RoleChain, Target: link("chain"), Mode: 0o644, Data: leaf.ChainPEM()},
		{Name: "fullchain.pem", Role: RoleFullchain, Target: link("fullchain"), Mode: 0o644, Data: leaf.FullchainPEM()},
		{Name: "privkey.pem", Role: RoleKey, Target: link("privkey"), Mode: 0o600, Data: leaf.KeyPEM()},
	}
}

func fileByName(files []BundleFile, name string) *BundleFile {
	for i := range files {
		if files[i].Name == name {
			return &files[i]
		}
	}
	panic("no file " + name)
}

// keyBody is the base64 text of a PEM key: what must never be printed.
func keyBody(t *testing.T, keyPEM []byte) []string {
	t.Helper()
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		t.Fatal("fixture key is not PEM")
	}
	var lines []string
	for _, l := range strings.Split(string(keyPEM), "\n") {
		if len(l) >= 16 && !strings.HasPrefix(l, "-----") {
			lines = append(lines, l[:16])
		}
	}
	return lines
}

func TestInspectBundleFindsEachFaultWithItsStatus(t *testing.T) {
	w := newBundleWorld(t)
	tests := []struct {
		name   string
		files  func() []BundleFile
		noCA   bool
		want   Status
		reason string
	}{
		{"healthy certbot generation", func() []BundleFile { return certbotFiles(w.new, 3) }, false, OK, ""},
		{"key readable by others", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "privkey.pem").Mode = 0o644
			return fs
		}, false, Crit, "privkey.pem is mode 0644: readable by group/others"},
		{"key of the previous certificate", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "privkey.pem").Data = w.old.KeyPEM()
			return fs
		}, false, Crit, "mixed vintage: the key in privkey.pem does not match the certificate"},
		{"mid-renewal: cert re-pointed, key not yet", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			old := certbotFiles(w.old, 2)
			fs[2], fs[3] = old[2], old[3] // fullchain and privkey still generation 2
			return fs
		}, false, Crit, "mixed vintage"},
		{"generations differ even with matching bytes", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "privkey.pem").Target = "../../archive/web/privkey2.pem"
			return fs
		}, false, Crit, "links point at different archive generations (privkey.pem -> privkey2.pem; cert.pem -> cert3.pem, chain.pem -> chain3.pem, fullchain.pem -> fullchain3.pem)"},
		{"fullchain lacks the intermediate", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "fullchain.pem").Data = w.new.CertPEM()
			return fs
		}, false, Crit, "chain does not verify: signed by an unknown authority (issuer: Bundle Mid)"},
		{"intermediate sent twice", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "fullchain.pem").Data = append(w.new.FullchainPEM(), w.new.ChainPEM()...)
			return fs
		}, false, Warn, "chain order: certificate 3 repeats certificate 2"},
		{"fullchain differs from cert + chain", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "fullchain.pem").Data = append(w.new.FullchainPEM(), w.new.ChainPEM()...)
			return fs
		}, false, Warn, "fullchain.pem is not cert.pem + chain.pem (the intermediates differ)"},
		{"unknown issuer", func() []BundleFile { return certbotFiles(w.new, 3) }, true, Crit, "chain does not verify: signed by an unknown authority"},
		{"encrypted key", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "privkey.pem").Data = pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})
			return fs
		}, false, Error, "privkey.pem: PEM block 1 (ENCRYPTED PRIVATE KEY): private key is encrypted"},
		{"garbage cert", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "cert.pem").Data = []byte("hello, I am not a certificate\n")
			return fs
		}, false, Error, "cert.pem: no PEM data found"},
		{"empty key", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "privkey.pem").Data = nil
			return fs
		}, false, Error, "privkey.pem: empty file"},
		{"truncated fullchain", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			full := w.new.FullchainPEM()
			fileByName(fs, "fullchain.pem").Data = full[:len(full)/3]
			return fs
		}, false, Error, "fullchain.pem: truncated or malformed PEM block"},
		{"last certificate cut short after good blocks", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			full := w.new.FullchainPEM()
			fileByName(fs, "fullchain.pem").Data = full[:len(full)-80]
			return fs
		}, false, Error, "fullchain.pem: truncated or malformed PEM block after block 1"},
		{"key file holds a certificate", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			fileByName(fs, "privkey.pem").Data = w.new.CertPEM()
			return fs
		}, false, Error, "privkey.pem holds no private key"},
		{"dangling link reported by the reader", func() []BundleFile {
			fs := certbotFiles(w.new, 3)
			f := fileByName(fs, "chain.pem")
			f.Data, f.Err = nil, "dangling link to ../../archive/web/chain3.pem"
			return fs
		}, false, Error, "chain.pem: dangling link to ../../archive/web/chain3.pem"},
		{"single file with key and chain", func() []BundleFile {
			return []BundleFile{{Name: "web.pem", Role: RoleCombined, Mode: 0o600, Data: append(w.new.KeyPEM(), w.new.FullchainPEM()...)}}
		}, false, OK, ""},
		{"single file readable by group", func() []BundleFile {
			return []BundleFile{{Name: "web.pem", Role: RoleCombined, Mode: 0o640, Data: append(w.new.KeyPEM(), w.new.FullchainPEM()...)}}
		}, false, Crit, "web.pem is mode 0640: readable by group/others"},
		{"single file without a key", func() []BundleFile {
			return []BundleFile{{Name: "web.pem", Role: RoleCombined, Mode: 0o600, Data: w.new.FullchainPEM()}}
		}, false, Error, "no private key in the bundle"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := &BundleSnapshot{Bundle: "web", Time: w.at, Layout: "certbot", Files: tc.files()}
			if !tc.noCA {
				snap.CA = w.ca.RootPEM()
			}
			f := snap.Seal(Bundle{Name: "web"})
			bs := &BundleState{Bundle: Bundle{Name: "web", Thresholds: Thresholds{Warn: DefaultWarn, Crit: DefaultCrit}}, Facts: f}
			bs.classify(w.at)
			if bs.Verdict.Status != tc.want {
				t.Fatalf("status %s, want %s; reasons %q", bs.Verdict.Status, tc.want, bs.Verdict.Reasons)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(bs.Verdict.Reasons, "\n"), tc.reason) {
				t.Fatalf("reasons %q lack %q", bs.Verdict.Reasons, tc.reason)
			}
			if tc.want != Error && f.Leaf == nil {
				t.Fatal("leaf not recorded")
			}
		})
	}
}

func TestSealRecordsFactsAndWipesBytes(t *testing.T) {
	w := newBundleWorld(t)
	files := certbotFiles(w.new, 7)
	keyBuf := files[3].Data
	snap := &BundleSnapshot{Bundle: "web", Time: w.at, Layout: "certbot", Files: files, CA: w.ca.RootPEM()}
	f := snap.Seal(Bundle{Name: "web"})
	for _, bf := range snap.Files {
		if bf.Data != nil {
			t.Fatalf("%s still holds its bytes after Seal", bf.Name)
		}
	}
	if !bytes.Equal(keyBuf, make([]byte, len(keyBuf))) {
		t.Fatal("the key buffer was not zeroed")
	}
	if f.Version != "7" || !f.HasKey || !f.KeyMatch || f.KeyForm != "PKCS#8" {
		t.Fatalf("facts: version %q haskey %v match %v form %q", f.Version, f.HasKey, f.KeyMatch, f.KeyForm)
	}
	if f.Leaf.Serial != SerialHex(w.new.Cert.SerialNumber) || len(f.Chain) != 1 {
		t.Fatalf("leaf %s chain %d", f.Leaf.Serial, len(f.Chain))
	}
	if again := snap.Seal(Bundle{Name: "web"}); again != f {
		t.Fatal("Seal must be idempotent")
	}
}

func TestBundleReasonsNeverContainKeyBytes(t *testing.T) {
	w := newBundleWorld(t)
	keyPEM := w.new.KeyPEM()
	body := keyBody(t, keyPEM)
	corrupt := bytes.Replace(keyPEM, []byte("PRIVATE KEY-----\n"), []byte("PRIVATE KEY-----\n!!"), 1)
	variants := map[string][]byte{
		"as cert":     keyPEM,
		"corrupt key": corrupt,
		"key twice":   append(append([]byte{}, keyPEM...), keyPEM...),
		"raw base64":  bytes.Join(bytes.Split(keyPEM, []byte("\n"))[1:3], nil),
	}
	for name, data := range variants {
		files := certbotFiles(w.new, 1)
		fileByName(files, "cert.pem").Data = bytes.Clone(data)
		fileByName(files, "privkey.pem").Data = bytes.Clone(data)
		fileByName(files, "privkey.pem").Mode = 0o666
		snap := &BundleSnapshot{Bundle: "web", Time: w.at, Files: files}
		f := snap.Seal(Bundle{Name: "web"})
		bs := &BundleState{Bundle: Bundle{Name: "web"}, Facts: f}
		bs.classify(w.at)
		out := fmt.Sprintf("%v %+v", bs.Verdict, bs.Report(w.at))
		for _, frag := range body {
			if strings.Contains(out, frag) {
				t.Fatalf("%s: output contains key material", name)
			}
		}
		if bs.Verdict.Status == OK {
			t.Fatalf("%s: a bundle of key bytes passed as OK", name)
		}
	}
}

func TestLinkGeneration(t *testing.T) {
	tests := []struct {
		target string
		gen    int
		ok     bool
	}{
		{"../../archive/web/cert3.pem", 3, true},
		{"../../archive/web/privkey12.pem", 12, true},
		{"fullchain1.pem", 1, true},
		{"../../archive/web/cert.pem", 0, false},
		{"v0007", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		g, ok := LinkGeneration(tc.target)
		if g != tc.gen || ok != tc.ok {
			t.Errorf("LinkGeneration(%q) = %d,%v want %d,%v", tc.target, g, ok, tc.gen, tc.ok)
		}
	}
}

// FuzzInspectBundle feeds arbitrary bytes as each file of a bundle: the
// checks must never panic, and a bundle they pass must really pair a key
// with its certificate.
func FuzzInspectBundle(f *testing.F) {
	ca := pki.Must(pki.NewCA("Fuzz Root"))
	leaf := pki.Must(ca.Issue(pki.Options{DNSNames: []string{"f.test"}}))
	f.Add(leaf.FullchainPEM(), leaf.KeyPEM(), uint8(0))
	f.Add(append(leaf.KeyPEM(), leaf.FullchainPEM()...), []byte{}, uint8(1))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n"), []byte("garbage"), uint8(2))
	f.Add([]byte{}, []byte{0xff, 0x00}, uint8(3))
	at := time.Now()
	f.Fuzz(func(t *testing.T, a, b []byte, layout uint8) {
		var files []BundleFile
		switch layout % 3 {
		case 0:
			files = []BundleFile{
				{Name: "fullchain.pem", Role: RoleFullchain, Mode: 0o644, Data: a},
				{Name: "privkey.pem", Role: RoleKey, Mode: fs.FileMode(layout) & 0o777, Data: b},
			}
		case 1:
			files = []BundleFile{{Name: "one.pem", Role: RoleCombined, Mode: 0o600, Data: append(a, b...)}}
		default:
			files = []BundleFile{
				{Name: "cert.pem", Role: RoleCert, Data: a},
				{Name: "chain.pem", Role: RoleChain, Data: b},
				{Name: "privkey.pem", Role: RoleKey, Data: a},
			}
		}
		snap := &BundleSnapshot{Bundle: "f", Time: at, Files: files, CA: ca.RootPEM()}
		facts := snap.Seal(Bundle{Name: "f"})
		bs := &BundleState{Bundle: Bundle{Name: "f"}, Facts: facts}
		bs.classify(at)
		if bs.Verdict.Status == OK {
			if !facts.HasKey || !facts.KeyMatch || facts.Leaf == nil {
				t.Fatalf("OK without a matching key and certificate: %+v", facts.Findings)
			}
			if _, err := x509.ParseCertificate(facts.leafCert.Raw); err != nil {
				t.Fatal(err)
			}
		}
		if len(bs.Verdict.Reasons) == 0 && bs.Verdict.Status != OK {
			t.Fatalf("status %s without a reason", bs.Verdict.Status)
		}
	})
}
