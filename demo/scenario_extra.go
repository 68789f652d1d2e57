package demo

import (
	"fmt"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

// extra: Options.Extra more healthy endpoints, all served by one
// listener with one wildcard certificate, to load the console.
func extra(b *Builder) error {
	if b.opts.Extra <= 0 {
		return nil
	}
	leaf, err := b.Issuer.Issue(pki.Options{DNSNames: []string{"*.extra.demo.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(75 * 24 * time.Hour)})
	if err != nil {
		return err
	}
	addr, err := b.serveTLS(staticCert(leaf.TLSCertificate()))
	if err != nil {
		return err
	}
	for i := 1; i <= b.opts.Extra; i++ {
		name := fmt.Sprintf("host%04d.extra.demo.test", i)
		b.Endpoint(model.EndpointConfig{Name: name, Address: addr, SNI: name, Group: "extra"})
	}
	return nil
}
