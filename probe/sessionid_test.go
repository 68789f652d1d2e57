package probe

import (
	"bytes"
	"crypto/tls"
	"testing"
)

// record frames handshake messages (type, body) as TLS records.
func record(typ byte, payload []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func handshakeMsg(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func serverHello(sessionID []byte) []byte {
	body := append([]byte{3, 3}, make([]byte, 32)...)
	body = append(body, byte(len(sessionID)))
	body = append(body, sessionID...)
	body = append(body, 0xc0, 0x2b, 0) // cipher, compression
	return handshakeMsg(msgServerHello, body)
}

// The decision is read off the wire: the offered ID echoed and then
// ChangeCipherSpec is an abbreviated handshake (resumed); a new ID, or the
// echo followed by a Certificate, is a full one; an alert answers nothing.
func TestSessionIDResumeDecision(t *testing.T) {
	offered := bytes.Repeat([]byte{7}, 32)
	other := bytes.Repeat([]byte{8}, 32)
	ccs := record(recordChangeCipherSpec, []byte{1})
	cert := handshakeMsg(11, []byte{0, 0, 0})
	cases := []struct {
		name             string
		wire             []byte
		checked, resumed bool
	}{
		{"echo then ChangeCipherSpec", append(record(recordHandshake, serverHello(offered)), ccs...), true, true},
		{"echo, ServerHello split over two records, then ChangeCipherSpec", func() []byte {
			m := serverHello(offered)
			return append(append(record(recordHandshake, m[:10]), record(recordHandshake, m[10:])...), ccs...)
		}(), true, true},
		{"new session ID: full handshake", append(record(recordHandshake, serverHello(other)), record(recordHandshake, cert)...), true, false},
		{"echo then Certificate", record(recordHandshake, append(serverHello(offered), cert...)), true, false},
		{"alert", record(recordAlert, []byte{2, 40}), false, false},
		{"connection closed after ServerHello", record(recordHandshake, serverHello(offered)), false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checked, resumed := readResumeDecision(bytes.NewReader(tc.wire), offered)
			if checked != tc.checked || resumed != tc.resumed {
				t.Fatalf("checked=%v resumed=%v, want %v %v", checked, resumed, tc.checked, tc.resumed)
			}
		})
	}
}

// The hand-made ClientHello carries the session ID and the name, and
// parses as a ClientHello.
func TestSessionIDHelloOffersTheSession(t *testing.T) {
	sid := bytes.Repeat([]byte{9}, 32)
	wire, err := sessionIDHello("svc.test.", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, sid)
	if err != nil {
		t.Fatal(err)
	}
	hello, ok := parseClientHello(wire)
	if !ok || !bytes.Equal(hello.sessionID, sid) {
		t.Fatalf("parsed %+v ok=%v, want the session ID offered", hello, ok)
	}
	if !bytes.Contains(wire, []byte("svc.test")) || bytes.Contains(wire, []byte("svc.test.")) {
		t.Fatal("server_name missing or sent with its trailing dot")
	}
}

// A TLS 1.2 server that echoes the client's random session ID in a full
// handshake assigned nothing; under TLS 1.3 the echo is always there and
// means nothing either.
func TestAssignedSessionIDIsTheServersOwn(t *testing.T) {
	ours := bytes.Repeat([]byte{1}, 32)
	theirs := bytes.Repeat([]byte{2}, 32)
	client := clientHelloWith(t, ours)
	for _, tc := range []struct {
		name    string
		version uint16
		server  []byte
		want    []byte
	}{
		{"assigned", tls.VersionTLS12, theirs, theirs},
		{"echoed", tls.VersionTLS12, ours, nil},
		{"none", tls.VersionTLS12, nil, nil},
		{"TLS 1.3", tls.VersionTLS13, theirs, nil},
	} {
		rec := &wireRecorder{out: client, in: record(recordHandshake, serverHello(tc.server))}
		if got := assignedSessionID(tc.version, rec); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: session ID %x, want %x", tc.name, got, tc.want)
		}
	}
}

func clientHelloWith(t *testing.T, sid []byte) []byte {
	t.Helper()
	wire, err := sessionIDHello("svc.test", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, sid)
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// FuzzResumeDecision feeds arbitrary server bytes to the two parsers that
// read what a server sends in plaintext (the ServerHello session ID, the
// session-ID resumption decision): they must never panic, never report a
// resumption without a ServerHello echoing the offer, and never hold more
// than they were sent.
func FuzzResumeDecision(f *testing.F) {
	offered := bytes.Repeat([]byte{7}, 32)
	f.Add(append(record(recordHandshake, serverHello(offered)), record(recordChangeCipherSpec, []byte{1})...))
	f.Add(record(recordHandshake, append(serverHello(bytes.Repeat([]byte{8}, 32)), handshakeMsg(11, nil)...)))
	f.Add(record(recordAlert, []byte{2, 40}))
	f.Add([]byte{22, 3, 3, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, wire []byte) {
		_, _ = parseServerHello(wire)
		checked, resumed := readResumeDecision(bytes.NewReader(wire), offered)
		if resumed && (!checked || !bytes.Contains(wire, offered)) {
			t.Fatalf("resumed without the offered session ID in the answer")
		}
	})
}
