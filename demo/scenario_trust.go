package demo

import (
	"certdeck/demo/pki"
	"certdeck/model"
)

// untrusted: a self-signed certificate (unknown CA) and a trusted
// certificate for the wrong host name.
func untrusted(b *Builder) error {
	self, err := pki.SelfSigned(pki.Options{DNSNames: []string{"intranet.demo.test"}})
	if err != nil {
		return err
	}
	addr, err := b.serveTLS(staticCert(self.TLSCertificate()))
	if err != nil {
		return err
	}
	b.Endpoint(model.EndpointConfig{Name: "intranet.demo.test", Address: addr, SNI: "intranet.demo.test", Group: "trust"})

	wrong, err := b.Issuer.Issue(pki.Options{DNSNames: []string{"other.demo.test"}})
	if err != nil {
		return err
	}
	if addr, err = b.serveTLS(staticCert(wrong.TLSCertificate())); err != nil {
		return err
	}
	b.Endpoint(model.EndpointConfig{Name: "wronghost.demo.test", Address: addr, SNI: "wronghost.demo.test", Group: "trust"})
	return nil
}
