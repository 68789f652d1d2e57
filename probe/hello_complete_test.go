package probe

import (
	"bytes"
	"testing"
)

// firstMessageComplete agrees with firstHandshakeMessage on every prefix of
// a hello cut into records of every size, as a hostile server may send it.
func TestFirstMessageCompleteAgreesWithTheParser(t *testing.T) {
	msg := append([]byte{msgServerHello, 0, 0, 70}, bytes.Repeat([]byte{7}, 70)...)
	for size := 1; size <= len(msg); size++ {
		var wire []byte
		for i := 0; i < len(msg); i += size {
			wire = append(wire, record(recordHandshake, msg[i:min(i+size, len(msg))])...)
		}
		wire = append(wire, record(recordHandshake, []byte{11, 0, 0, 1, 0})...)
		for cut := 0; cut <= len(wire); cut++ {
			_, _, want := firstHandshakeMessage(wire[:cut])
			if got := firstMessageComplete(wire[:cut]); got != want {
				t.Fatalf("records of %d bytes cut at %d: complete=%v, parser says %v", size, cut, got, want)
			}
		}
	}
}
