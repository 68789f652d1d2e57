package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"strings"

	"golang.org/x/crypto/cryptobyte"

	"certdeck/model"
)

// TLS 1.2 servers with tickets off and a session cache (nginx with
// ssl_session_tickets off and ssl_session_cache) resume by session ID: the
// server names the session in its ServerHello, and a client that offers
// that ID again gets an abbreviated handshake. Go's client never offers a
// server's session ID (its ClientHello carries a random one, to detect
// ticket resumption), so the probe asks with a ClientHello of its own and
// reads the answer. The server's decision is on the wire in plaintext
// (RFC 5246, 7.4.1.3 and 7.3): it echoes the offered ID and goes straight
// to ChangeCipherSpec when it resumes, and sends a new ID and its
// Certificate when it does not. Merely seeing the server echo an ID proves
// nothing: under TLS 1.3 every server echoes the client's
// legacy_session_id, and that is no session.

// assignedSessionID is the session ID a TLS 1.2 (or older) server assigned
// in its ServerHello, or nil: under TLS 1.3, when the server sent none, or
// when it only echoed the random ID Go's ClientHello carries.
func assignedSessionID(version uint16, rec *wireRecorder) []byte {
	if version >= tls.VersionTLS13 || rec == nil {
		return nil
	}
	sid, ok := parseServerHello(rec.in)
	if !ok || len(sid) == 0 {
		return nil
	}
	if hello, ok := parseClientHello(rec.out); ok && bytes.Equal(hello.sessionID, sid) {
		return nil
	}
	return sid
}

// resumeBySessionID offers sessionID to the server in a ClientHello for
// the version and cipher suite of the first handshake, and reads up to the
// server's decision; it then cancels the handshake (nothing is exchanged
// after it). checked is false when no decision was read (the connection
// failed, or the server answered with an alert).
func resumeBySessionID(ctx context.Context, ep model.Endpoint, first tls.ConnectionState, sessionID []byte) (checked, resumed bool) {
	c, err := connect(ctx, ep)
	if err != nil {
		return false, false
	}
	defer c.rec.Close()
	hello, err := sessionIDHello(ep.SNI, first.Version, first.CipherSuite, sessionID)
	if err != nil {
		return false, false
	}
	if _, err := c.rec.Write(hello); err != nil {
		return false, false
	}
	checked, resumed = readResumeDecision(c.rec, sessionID)
	// user_canceled, a warning: the probe ends the handshake on purpose.
	_, _ = c.rec.Write([]byte{recordAlert, 3, 3, 0, 2, 1, 90})
	return checked, resumed
}

// maxDecisionRecords bounds how many records are read for the decision:
// a full handshake's first flight is a few records, a resumption's two.
const maxDecisionRecords = 16

// readResumeDecision reads the server's first flight: resumed when the
// ServerHello echoes the offered ID and a ChangeCipherSpec follows before
// any Certificate, ServerKeyExchange, CertificateRequest or ServerHelloDone.
func readResumeDecision(r io.Reader, offered []byte) (checked, resumed bool) {
	var hs []byte // handshake bytes not yet parsed
	sawHello := false
	header := make([]byte, 5)
	for range maxDecisionRecords {
		if _, err := io.ReadFull(r, header); err != nil {
			return false, false
		}
		n := int(header[3])<<8 | int(header[4])
		if n > 1<<14+2048 { // larger than any TLS record (RFC 5246, 6.2.3)
			return false, false
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return false, false
		}
		switch header[0] {
		case recordChangeCipherSpec:
			return sawHello, sawHello
		case recordHandshake:
			hs = append(hs, payload...)
		default: // an alert, or nonsense: no decision on our question
			return false, false
		}
		for len(hs) >= 4 {
			l := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
			if len(hs) < 4+l {
				break
			}
			typ, body := hs[0], hs[4:4+l]
			hs = hs[4+l:]
			if !sawHello {
				sid, ok := serverHelloSessionID(typ, body)
				if !ok {
					return false, false
				}
				if !bytes.Equal(sid, offered) {
					return true, false // a new session: full handshake
				}
				sawHello = true
				continue
			}
			switch typ {
			case 11, 12, 13, 14: // Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone
				return true, false
			}
		}
	}
	return false, false
}

func serverHelloSessionID(typ uint8, body []byte) ([]byte, bool) {
	if typ != msgServerHello {
		return nil, false
	}
	s := cryptobyte.String(body)
	var sid cryptobyte.String
	if !s.Skip(2+32) || !s.ReadUint8LengthPrefixed(&sid) {
		return nil, false
	}
	return sid, true
}

// sessionIDHello is a ClientHello record that offers sessionID for
// version (TLS 1.0 to 1.2) and the one cipher suite of the session, with
// the extensions the first handshake's Go ClientHello carried that bear on
// resumption: server_name as sent (OpenSSL does not resume a session under
// another name), extended_master_secret (RFC 7627, 5.3: a server that used
// it refuses to resume without it), plus the groups, point formats and
// signature algorithms a full handshake would need, so a server that
// declines to resume answers with its Certificate rather than an alert.
func sessionIDHello(sni string, version, cipher uint16, sessionID []byte) ([]byte, error) {
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddUint8(recordHandshake)
	b.AddUint16(tls.VersionTLS10) // record version of a first ClientHello, as OpenSSL and Go send it
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(msgClientHello)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16(version)
			b.AddBytes(random)
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sessionID) })
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16(cipher)
				b.AddUint16(0x00ff) // TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746)
			})
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // no compression
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				if name := sniName(sni); name != "" {
					addExtension(b, extServerName, func(b *cryptobyte.Builder) {
						b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
							b.AddUint8(0) // host_name
							b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(name)) })
						})
					})
				}
				addExtension(b, extExtendedMS, func(*cryptobyte.Builder) {})
				addExtension(b, extSupportedGroups, func(b *cryptobyte.Builder) {
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						for _, g := range probeGroups {
							b.AddUint16(uint16(g))
						}
					})
				})
				addExtension(b, extECPointFormats, func(b *cryptobyte.Builder) {
					b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // uncompressed
				})
				if version >= tls.VersionTLS12 {
					addExtension(b, extSignatureAlgs, func(b *cryptobyte.Builder) {
						b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
							for _, s := range sessionIDSigAlgs {
								b.AddUint16(uint16(s))
							}
						})
					})
				}
			})
		})
	})
	return b.Bytes()
}

// sessionIDSigAlgs are the signature algorithms the hand-made ClientHello
// lists, Go's own TLS 1.2 set.
var sessionIDSigAlgs = []tls.SignatureScheme{
	tls.PSSWithSHA256, tls.ECDSAWithP256AndSHA256, tls.Ed25519, tls.PSSWithSHA384, tls.PSSWithSHA512,
	tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512,
	tls.ECDSAWithP384AndSHA384, tls.ECDSAWithP521AndSHA512, tls.PKCS1WithSHA1, tls.ECDSAWithSHA1,
}

func addExtension(b *cryptobyte.Builder, typ uint16, data func(*cryptobyte.Builder)) {
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(data)
}

// sniName is the server_name Go's client sends for ServerName: none for
// an IP literal, no trailing dot.
func sniName(name string) string {
	if net.ParseIP(strings.Trim(name, "[]")) != nil {
		return ""
	}
	return strings.TrimSuffix(name, ".")
}
