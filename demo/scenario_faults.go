package demo

import (
	"fmt"
	"net"

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

	// Listen then close: the port was free a moment ago and nothing
	// listens on it now.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo refused port: %w", err)
	}
	addr := free.Addr().String()
	free.Close()
	b.Endpoint(model.EndpointConfig{Name: "refused.demo.test", Address: addr, SNI: "refused.demo.test", Group: "faults"})
	return nil
}
