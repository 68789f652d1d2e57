package probe

import (
	"bytes"
	"crypto/tls"
	"net"

	"golang.org/x/crypto/cryptobyte"
)

// crypto/tls does not expose two plaintext facts a probe needs: what its
// own ClientHello offered (was the cached session presented at all? which
// key share went out?) and the session ID in a TLS 1.2 ServerHello (a
// server that resumes by session ID rather than by ticket). wireRecorder
// keeps the first bytes each way so the hellos can be read afterwards.

// maxHelloCapture bounds what wireRecorder keeps per direction. A
// ClientHello is under 2 KiB even with a post-quantum share; a ServerHello
// is a few hundred bytes, even cut into tiny records by a hostile server.
const maxHelloCapture = 8 << 10

// TLS wire constants (RFC 8446, RFC 5246).
const (
	recordHandshake        = 22
	recordChangeCipherSpec = 20
	recordAlert            = 21

	msgClientHello = 1
	msgServerHello = 2

	extServerName       = 0
	extSupportedGroups  = 10
	extECPointFormats   = 11
	extSignatureAlgs    = 13
	extExtendedMS       = 23
	extSessionTicket    = 35
	extPreSharedKey     = 41
	extKeyShare         = 51
	extRenegotiationInf = 0xff01
)

// wireRecorder is a net.Conn that keeps what was written and read up to
// the end of the first handshake message each way (the hellos), at most
// maxHelloCapture bytes each: the certificates and everything after them
// are not copied. It is used by one goroutine at a time, like the tls.Conn
// on top of it.
type wireRecorder struct {
	net.Conn
	out, in         []byte
	outDone, inDone bool // the hello is complete: keep nothing more
}

func (r *wireRecorder) Write(p []byte) (int, error) {
	r.out, r.outDone = keep(r.out, p, r.outDone)
	return r.Conn.Write(p)
}

func (r *wireRecorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.in, r.inDone = keep(r.in, p[:n], r.inDone)
	return n, err
}

// keep appends p to buf until buf holds a whole first handshake message
// (done) or maxHelloCapture bytes.
func keep(buf, p []byte, done bool) ([]byte, bool) {
	if done {
		return buf, true
	}
	if room := maxHelloCapture - len(buf); room > 0 {
		buf = append(buf, p[:min(len(p), room)]...)
	}
	return buf, firstMessageComplete(buf) || len(buf) >= maxHelloCapture
}

// firstMessageComplete reports whether the records at the start of wire
// hold the whole first handshake message: firstHandshakeMessage would
// find it. It copies nothing (it runs on every read until it is true).
func firstMessageComplete(wire []byte) bool {
	var header [4]byte
	got, have := 0, 0 // header bytes seen; handshake bytes in whole records
	for len(wire) >= 5 && wire[0] == recordHandshake {
		n := int(wire[3])<<8 | int(wire[4])
		if len(wire) < 5+n {
			return false
		}
		got += copy(header[got:], wire[5:5+n])
		have += n
		wire = wire[5+n:]
		if got == 4 && have >= 4+(int(header[1])<<16|int(header[2])<<8|int(header[3])) {
			return true
		}
	}
	return false
}

// clientHelloFacts is what the probe's own ClientHello offered.
type clientHelloFacts struct {
	sessionID []byte
	keyShares []tls.CurveID // groups a key share was sent for, in order
	psk       bool          // TLS 1.3 pre_shared_key: a ticket was offered
	ticket    bool          // TLS 1.2 session_ticket extension with a ticket in it
}

// parseClientHello reads the ClientHello at the start of wire (as written
// by crypto/tls).
func parseClientHello(wire []byte) (clientHelloFacts, bool) {
	var f clientHelloFacts
	typ, body, ok := firstHandshakeMessage(wire)
	if !ok || typ != msgClientHello {
		return f, false
	}
	s := cryptobyte.String(body)
	var sid, suites, compression, exts cryptobyte.String
	if !s.Skip(2+32) || !s.ReadUint8LengthPrefixed(&sid) ||
		!s.ReadUint16LengthPrefixed(&suites) || !s.ReadUint8LengthPrefixed(&compression) {
		return f, false
	}
	f.sessionID = bytes.Clone(sid)
	if s.Empty() {
		return f, true
	}
	if !s.ReadUint16LengthPrefixed(&exts) {
		return f, false
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return f, false
		}
		switch typ {
		case extPreSharedKey:
			f.psk = true
		case extSessionTicket:
			f.ticket = len(data) > 0
		case extKeyShare:
			var shares cryptobyte.String
			if !data.ReadUint16LengthPrefixed(&shares) {
				return f, false
			}
			for !shares.Empty() {
				var group uint16
				var key cryptobyte.String
				if !shares.ReadUint16(&group) || !shares.ReadUint16LengthPrefixed(&key) {
					return f, false
				}
				f.keyShares = append(f.keyShares, tls.CurveID(group))
			}
		}
	}
	return f, true
}

// parseServerHello returns the session ID of the ServerHello at the start
// of wire. Under TLS 1.3 it is only an echo of the client's (RFC 8446,
// 4.1.3) and means nothing.
func parseServerHello(wire []byte) (sessionID []byte, ok bool) {
	typ, body, ok := firstHandshakeMessage(wire)
	if !ok {
		return nil, false
	}
	sid, ok := serverHelloSessionID(typ, body)
	return bytes.Clone(sid), ok
}

// firstHandshakeMessage reassembles the first handshake message from the
// TLS records at the start of wire (a message may span records).
func firstHandshakeMessage(wire []byte) (typ uint8, body []byte, ok bool) {
	var hs []byte
	for len(wire) >= 5 && wire[0] == recordHandshake {
		n := int(wire[3])<<8 | int(wire[4])
		if len(wire) < 5+n {
			return 0, nil, false
		}
		hs = append(hs, wire[5:5+n]...)
		wire = wire[5+n:]
		if len(hs) >= 4 {
			l := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
			if len(hs) >= 4+l {
				return hs[0], hs[4 : 4+l], true
			}
		}
	}
	return 0, nil, false
}
