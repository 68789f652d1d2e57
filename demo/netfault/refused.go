// Package netfault makes network faults on loopback for the demo fleet
// and for tests: an address where a connection is refused and stays
// refused.
package netfault

import "fmt"

// Refused returns a 127.0.0.1 address where connecting is refused, and a
// release that frees it. The port stays reserved until release: a port
// that was merely free a moment ago (listen, then close) is soon handed to
// the next listener on the machine, and the "refused" endpoint then
// reaches some other server.
func Refused() (addr string, release func(), err error) {
	addr, release, err = reserve()
	if err != nil {
		return "", nil, fmt.Errorf("reserve a refused port: %w", err)
	}
	return addr, release, nil
}
