package demo

import (
	"fmt"
	"net"

	"certdeck/demo/netfault"
	"certdeck/model"
)

// faults: a server that accepts and never speaks (the probe times out)
// and a port where nothing listens (connection refused).
func faults(b *Builder) error {
	ln, err := b.listen()
	if err != nil {
		return err
	}
	b.accept(ln, func(c net.Conn) {
		// Hold the connection silently until the client gives up or the
		// demo stops (accept closes it on shutdown).
		buf := make([]byte, 512)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
	b.Endpoint(model.EndpointConfig{Name: "stall.demo.test", Address: ln.Addr().String(), SNI: "stall.demo.test", Group: "faults"})

	addr, release, err := netfault.Refused()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	b.onClose(release)
	b.Endpoint(model.EndpointConfig{Name: "refused.demo.test", Address: addr, SNI: "refused.demo.test", Group: "faults"})
	return nil
}
