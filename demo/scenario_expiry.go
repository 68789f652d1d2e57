package demo

import (
	"time"

	"certdeck/model"
)

// healthy: several endpoints with long-lived certificates from the demo
// CA, in two groups.
func healthy(b *Builder) error {
	for _, h := range []struct{ name, group string }{
		{"api.demo.test", "web"}, {"www.demo.test", "web"}, {"auth.demo.test", "web"}, {"grafana.demo.test", "ops"},
	} {
		if err := b.certEndpoint(h.name, h.group, 80*24*time.Hour); err != nil {
			return err
		}
	}
	return nil
}

// expiring: 90-day certificates at WARN (20 days left), CRIT (3 days
// left), and one already expired.
func expiring(b *Builder) error {
	for _, e := range []struct {
		name string
		left time.Duration
	}{
		{"shop.demo.test", 20 * 24 * time.Hour},
		{"billing.demo.test", 3 * 24 * time.Hour},
		{"old-vpn.demo.test", -2 * 24 * time.Hour},
	} {
		if err := b.certEndpoint(e.name, "expiry", e.left); err != nil {
			return err
		}
	}
	return nil
}

// certEndpoint serves a 90-day leaf for name (the lifetime Let's Encrypt
// issues) with the given time left: the default thresholds, relative to
// the lifetime, judge it as they would a real one.
func (b *Builder) certEndpoint(name, group string, left time.Duration) error {
	now := time.Now()
	notBefore := now.Add(left - 90*24*time.Hour)
	// An hour of slack so "20 days" still reads 20d after the demo runs a while.
	leaf, err := b.leaf(name, notBefore, now.Add(left+time.Hour))
	if err != nil {
		return err
	}
	addr, err := b.serveTLS(staticCert(leaf.TLSCertificate()))
	if err != nil {
		return err
	}
	b.Endpoint(model.EndpointConfig{Name: name, Address: addr, SNI: name, Group: group})
	return nil
}
