package model

import "testing"

// layout: pair with no cert:/key: is accepted, as `--layout pair` is: the
// reader then takes fullchain.pem or cert.pem, and privkey.pem.
func TestPairBundleWithoutFileNamesIsAccepted(t *testing.T) {
	f, err := ParseFleet([]byte("bundles:\n  - {name: web, path: /etc/ssl/web, layout: pair}\n"), "config.yaml")
	if err != nil {
		t.Fatalf("layout pair without cert/key: %v", err)
	}
	if b := f.Bundles[0]; b.Layout != LayoutPair || b.CertFile != "" || b.KeyFile != "" {
		t.Fatalf("bundle %+v: want pair with the reader's default names", b)
	}
}
