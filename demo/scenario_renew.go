package demo

import (
	"crypto/tls"
	"sync/atomic"
	"time"

	"certdeck/model"
)

// renewing: certificates that live 11 minutes and are replaced every
// RenewEvery, like an ACME client on a short-lived CA. Their serials
// change while you watch. They get no special thresholds: the default
// rule is relative to each certificate's lifetime (WARN under 33% of it,
// CRIT under 10%), so a certificate renewed on time stays OK, and one
// whose renewal stops turns WARN and then CRIT before it expires.
func renewing(b *Builder) error {
	for _, name := range []string{"short1.demo.test", "short2.demo.test"} {
		var cur atomic.Pointer[tls.Certificate]
		issue := func() error {
			now := time.Now()
			leaf, err := b.leaf(name, now.Add(-time.Minute), now.Add(10*time.Minute))
			if err != nil {
				return err
			}
			c := leaf.TLSCertificate()
			cur.Store(&c)
			return nil
		}
		if err := issue(); err != nil {
			return err
		}
		addr, err := b.serveTLS(&tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cur.Load(), nil },
		})
		if err != nil {
			return err
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			t := time.NewTicker(b.opts.RenewEvery)
			defer t.Stop()
			for {
				select {
				case <-b.ctx.Done():
					return
				case <-t.C:
					_ = issue() // on failure the old certificate keeps serving
				}
			}
		}()
		b.Endpoint(model.EndpointConfig{Name: name, Address: addr, SNI: name, Group: "short-lived"})
	}
	return nil
}
