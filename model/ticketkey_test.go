package model

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// rawKey is a key of size bytes whose every byte is distinct from the
// name's, so a half read at the wrong offset is visible: byte i is
// seed+i.
func rawKey(size int, seed byte) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

// TestTicketKeyLayoutsPutEachHalfWhereItsServerReadsIt pins the layouts
// from the servers' source (nginx ngx_ssl_session_ticket_keys, HAProxy
// struct tls_sess_key_128/256, Apache mod_ssl): the 80-byte nginx and
// HAProxy layouts put HMAC and AES in opposite order. The real-server
// proof is TestTicketKeyFilesDecryptRealServersTickets (probe) and the
// captured tickets in TestCapturedTicketsOpenWithParsedKeys.
func TestTicketKeyLayoutsPutEachHalfWhereItsServerReadsIt(t *testing.T) {
	tests := []struct {
		format     TicketFormat
		size       int
		aes, hmac  [2]int // [from, to)
		secretSize int
	}{
		{TicketNginx48, 48, [2]int{16, 32}, [2]int{32, 48}, 16},
		{TicketNginx80, 80, [2]int{48, 80}, [2]int{16, 48}, 32},
		{TicketHAProxy, 48, [2]int{16, 32}, [2]int{32, 48}, 16},
		{TicketHAProxy, 80, [2]int{16, 48}, [2]int{48, 80}, 32},
		{TicketApache48, 48, [2]int{32, 48}, [2]int{16, 32}, 16},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.format, tt.size), func(t *testing.T) {
			raw := rawKey(tt.size, 7)
			k, err := ParseTicketKey(tt.format, raw)
			if err != nil {
				t.Fatal(err)
			}
			if k.Name() != hex.EncodeToString(raw[:16]) {
				t.Errorf("name is not the first 16 bytes")
			}
			if !bytes.Equal(k.AESKey().Bytes(), raw[tt.aes[0]:tt.aes[1]]) {
				t.Errorf("AES half is not bytes %d-%d", tt.aes[0], tt.aes[1])
			}
			if !bytes.Equal(k.HMACKey().Bytes(), raw[tt.hmac[0]:tt.hmac[1]]) {
				t.Errorf("HMAC half is not bytes %d-%d", tt.hmac[0], tt.hmac[1])
			}
			back, err := k.Encode(tt.format)
			if err != nil || !bytes.Equal(back, raw) {
				t.Errorf("Encode does not give the file back")
			}
		})
	}
}

// TestNginx80AndHAProxy80AreDifferentKeys: the same 80 bytes read as
// nginx80 and as HAProxy 80 give swapped halves, so a conversion must
// move them, and a copied file would silently stop tickets resuming.
func TestNginx80AndHAProxy80AreDifferentKeys(t *testing.T) {
	raw := rawKey(80, 1)
	n, _ := ParseTicketKey(TicketNginx80, raw)
	h, _ := ParseTicketKey(TicketHAProxy, raw)
	if n.SameKey(h) {
		t.Fatal("nginx80 and haproxy read 80 bytes into the same halves")
	}
	if !bytes.Equal(n.AESKey().Bytes(), h.HMACKey().Bytes()) || !bytes.Equal(n.HMACKey().Bytes(), h.AESKey().Bytes()) {
		t.Fatal("the halves are not simply swapped")
	}
	conv, err := n.Encode(TicketHAProxy)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := ParseTicketKey(TicketHAProxy, conv)
	if !back.SameKey(n) {
		t.Fatal("nginx80 → haproxy conversion does not keep the key")
	}
	if _, err := n.Encode(TicketApache48); err == nil {
		t.Fatal("an 80-byte key became an apache48 one")
	}
}

func TestParseTicketKeyRefusesWrongSizes(t *testing.T) {
	for _, tt := range []struct {
		format TicketFormat
		size   int
		want   string
	}{
		{TicketNginx80, 48, "48 bytes, but a nginx80 key is 80 bytes"},
		{TicketNginx48, 80, "80 bytes, but a nginx48 key is 48 bytes"},
		{TicketNginx48, 0, "0 bytes"},
		{TicketApache48, 47, "47 bytes, but a apache48 key is 48 bytes"},
		{TicketHAProxy, 64, "48 or 80 bytes"},
	} {
		_, err := ParseTicketKey(tt.format, rawKey(tt.size, 0x41))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %d bytes: err = %v, want %q", tt.format, tt.size, err, tt.want)
		}
	}
}

func haproxyLine(raw []byte) string { return base64.StdEncoding.EncodeToString(raw) }

func TestParseHAProxyTicketKeysAsHAProxyDoes(t *testing.T) {
	a, b, c, d := rawKey(48, 1), rawKey(48, 60), rawKey(48, 120), rawKey(48, 180)
	lines := func(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }
	t.Run("the last three lines are previous, current, next", func(t *testing.T) {
		keys, err := ParseHAProxyTicketKeys(lines(haproxyLine(a), haproxyLine(b), haproxyLine(c), haproxyLine(d)))
		if err != nil {
			t.Fatal(err)
		}
		prev, cur, next := HAProxyRoles(keys)
		if prev.Name() != hex.EncodeToString(b[:16]) || cur.Name() != hex.EncodeToString(c[:16]) || next.Name() != hex.EncodeToString(d[:16]) {
			t.Fatalf("roles = %s %s %s, want lines 2, 3, 4", prev, cur, next)
		}
	})
	t.Run("CRLF and no final newline", func(t *testing.T) {
		data := []byte(haproxyLine(a) + "\r\n" + haproxyLine(b) + "\r\n" + haproxyLine(c))
		if _, err := ParseHAProxyTicketKeys(data); err != nil {
			t.Fatal(err)
		}
	})
	refusals := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"two lines", lines(haproxyLine(a), haproxyLine(b)), "2 line(s); HAProxy needs at least 3"},
		{"blank line", lines(haproxyLine(a), "", haproxyLine(b), haproxyLine(c)), "line 2 is empty"},
		{"not base64", lines(haproxyLine(a), "not*base64!", haproxyLine(c)), "line 2 is not base64"},
		{"wrong size", lines(haproxyLine(a), haproxyLine(rawKey(47, 3)), haproxyLine(c)), "line 2 decodes to 47 bytes"},
		{"mixed sizes", lines(haproxyLine(a), haproxyLine(rawKey(80, 3)), haproxyLine(c)), "line 2 is a 80-byte key after 48-byte ones"},
		{"trailing space", lines(haproxyLine(a)+" ", haproxyLine(b), haproxyLine(c)), "line 1 is not base64"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHAProxyTicketKeys(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			noSecretIn(t, err.Error(), a, b, c)
		})
	}
}

func TestEncodeHAProxyTicketKeysRoundTrips(t *testing.T) {
	var keys []TicketKey
	for _, seed := range []byte{1, 90, 170} {
		k, _ := ParseTicketKey(TicketHAProxy, rawKey(80, seed))
		keys = append(keys, k)
	}
	data, err := EncodeHAProxyTicketKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseHAProxyTicketKeys(data)
	if err != nil || len(back) != 3 {
		t.Fatalf("parse back: %v", err)
	}
	for i := range keys {
		if !back[i].SameKey(keys[i]) {
			t.Errorf("line %d changed", i+1)
		}
	}
	short, _ := ParseTicketKey(TicketHAProxy, rawKey(48, 5))
	if _, err := EncodeHAProxyTicketKeys([]TicketKey{keys[0], short}); err == nil {
		t.Error("mixed sizes encoded")
	}
}

// noSecretIn fails if s contains any secret half of the raw keys, in any
// form a printing path could produce: raw, hex, base64, Go's byte-slice
// notation.
func noSecretIn(t *testing.T, s string, raws ...[]byte) {
	t.Helper()
	for _, raw := range raws {
		for _, part := range [][]byte{raw[16:32], raw[len(raw)-16:]} {
			forms := []string{string(part), hex.EncodeToString(part), strings.ToUpper(hex.EncodeToString(part)),
				base64.StdEncoding.EncodeToString(part)[:16], fmt.Sprint(part)[:12], fmt.Sprintf("%#v", part)[:20]}
			for _, form := range forms {
				if strings.Contains(s, form) {
					t.Fatalf("output carries secret key bytes (%d-byte form)", len(form))
				}
			}
		}
	}
}

// TestTicketSecretsNeverPrint: every way Go prints, logs or encodes a
// value shows the key's name and "[secret]", never a secret byte.
func TestTicketSecretsNeverPrint(t *testing.T) {
	raw := rawKey(80, 0x30)
	k, err := ParseTicketKey(TicketNginx80, raw)
	if err != nil {
		t.Fatal(err)
	}
	set := TicketKeySet{Current: k, Next: k, Previous: k}
	type exported struct{ Key TicketKey }
	type hidden struct{ key TicketKey }
	type hiddenSecret struct{ s TicketSecret }
	values := []any{k, &k, k.AESKey(), k.HMACKey(), set, &set, []TicketKey{k}, map[string]TicketKey{"a": k},
		exported{k}, hidden{k}, &hidden{k}, hiddenSecret{k.AESKey()}, []any{hidden{k}}}
	var out strings.Builder
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d", "%T %v"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		fmt.Fprintln(&out, v)
		if j, err := json.Marshal(v); err == nil {
			out.Write(j)
		}
	}
	slog.New(slog.NewTextHandler(&out, nil)).Info("key", "k", k, "aes", k.AESKey(), "set", set)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("key", "k", k, "hmac", k.HMACKey())
	noSecretIn(t, out.String(), raw)
	if !strings.Contains(out.String(), k.Name()) || !strings.Contains(out.String(), "[secret]") {
		t.Fatal("the name and [secret] should be what is printed")
	}
}

func TestTicketKeySetNamesAndSameKey(t *testing.T) {
	a, _ := ParseTicketKey(TicketNginx48, rawKey(48, 1))
	b, _ := ParseTicketKey(TicketNginx48, rawKey(48, 1))
	other := rawKey(48, 1)
	other[40] ^= 1 // same name, another HMAC half
	c, _ := ParseTicketKey(TicketNginx48, other)
	if !a.SameKey(b) || a.SameKey(c) {
		t.Fatal("SameKey must compare the secrets, not only the name")
	}
}

func FuzzParseTicketKeys(f *testing.F) {
	f.Add(uint8(0), rawKey(80, 1))
	f.Add(uint8(1), rawKey(48, 1))
	f.Add(uint8(3), rawKey(48, 9))
	f.Add(uint8(2), []byte(haproxyLine(rawKey(48, 1))+"\n"+haproxyLine(rawKey(48, 2))+"\r\n"+haproxyLine(rawKey(48, 3))+"\n"))
	f.Add(uint8(2), []byte(haproxyLine(rawKey(80, 1))+"\n\n"))
	f.Add(uint8(2), []byte("====\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		format := TicketFormats[int(which)%len(TicketFormats)]
		if format == TicketHAProxy {
			keys, err := ParseHAProxyTicketKeys(data)
			if err != nil {
				if len(data) >= 16 && strings.Contains(err.Error(), string(data)) {
					t.Fatal("error quotes the file")
				}
				return
			}
			if len(keys) < 3 {
				t.Fatalf("accepted %d keys", len(keys))
			}
			enc, err := EncodeHAProxyTicketKeys(keys)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseHAProxyTicketKeys(enc)
			if err != nil || len(back) != len(keys) {
				t.Fatalf("re-encoded file does not parse: %v", err)
			}
			for i := range keys {
				if !back[i].SameKey(keys[i]) {
					t.Fatalf("line %d changed in a round trip", i+1)
				}
			}
			return
		}
		k, err := ParseTicketKey(format, data)
		if err != nil {
			return
		}
		enc, err := k.Encode(format)
		if err != nil || !bytes.Equal(enc, data) {
			t.Fatalf("round trip of a %s key changed it", format)
		}
		// Every verb prints the name and size, and nothing else.
		for _, verb := range []string{"%v", "%+v", "%s", "%x", "%q", "%d"} {
			if got := fmt.Sprintf(verb, k); got != k.String() {
				t.Fatalf("%s of a key prints %q", verb, got)
			}
		}
	})
}

func FuzzParseTicketMeta(f *testing.F) {
	m := TicketMeta{Format: TicketNginx80, Keys: []TicketMetaKey{{Role: RoleCurrent, Name: strings.Repeat("ab", 16)}},
		Members: map[string]TicketMemberState{"edge-1": {Next: strings.Repeat("cd", 16)}}}
	f.Add(m.Encode())
	f.Add([]byte(`{"version":1,"keys":[{"role":"x"}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseTicketMeta(data)
		if err != nil {
			return
		}
		for _, k := range m.Keys {
			if !ValidKeyName(k.Name) {
				t.Fatalf("accepted key name %q", k.Name)
			}
		}
		back, err := ParseTicketMeta(m.Encode())
		if err != nil || len(back.Keys) != len(m.Keys) {
			t.Fatalf("re-encoded meta does not parse: %v", err)
		}
	})
}
