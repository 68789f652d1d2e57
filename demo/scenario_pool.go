package demo

import (
	"fmt"
	"time"

	"certdeck/model"
)

// ticketPool: three servers behind one name that should share a ticket
// key; the third was missed by the last rotation and still uses an old
// key, which the console shows as a different key name.
func ticketPool(b *Builder) error {
	shared, stale := newTicketKey("pool 2026-03"), newTicketKey("pool 2026-02")
	name := "pool.demo.test"
	leaf, err := b.leaf(name, time.Now().Add(-time.Hour), time.Now().Add(60*24*time.Hour))
	if err != nil {
		return err
	}
	for i, k := range []ticketKey{shared, shared, stale} {
		cfg := staticCert(leaf.TLSCertificate())
		namedTickets(cfg, k)
		addr, err := b.serveTLS(cfg)
		if err != nil {
			return err
		}
		b.Endpoint(model.EndpointConfig{Name: fmt.Sprintf("pool-%d.demo.test", i+1), Address: addr, SNI: name, Group: "pool"})
	}
	return nil
}
