//go:build !unix

package netfault

import "net"

// reserve, where sockets cannot be bound without listening, falls back to
// a port that was free a moment ago: refused until something else takes it.
func reserve() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, func() {}, nil
}
