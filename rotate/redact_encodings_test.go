package rotate

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"certdeck/model"
)

// encodedToken is the tester's token: every character URL and JSON
// escaping treat specially ('+', '/', '=') is in it.
const encodedToken = "s3cr3t+T0ken/with=Chars+ABCDEFGHIJ"

// allUnicodeEscaped is s with every character but letters and digits as
// \u00XX, in the hex case asked for.
func allUnicodeEscaped(s string, upper bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80 && isAlnum(byte(r)):
			b.WriteRune(r)
		case upper:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func jsonInner(t *testing.T, s string) string {
	t.Helper()
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(js[1 : len(js)-1])
}

// leftRuns counts the positions of s where n characters of form start
// (regardless of ASCII case when fold).
func leftRuns(form, s string, n int, fold bool) int {
	if fold {
		form, s = strings.ToLower(form), strings.ToLower(s)
	}
	return sharedRuns(form, s, min(n, len(form)))
}

// tokenEncodings are the forms a server echoes a token in.
func tokenEncodings(t *testing.T, token string) []struct{ name, form string } {
	t.Helper()
	lowerPct := func(s string) string { // %2B as %2b
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && i+2 < len(s) {
				b.WriteString("%" + strings.ToLower(s[i+1:i+3]))
				i += 2
				continue
			}
			b.WriteByte(s[i])
		}
		return b.String()
	}
	return []struct{ name, form string }{
		{"url.QueryEscape", url.QueryEscape(token)},
		{"url.PathEscape", url.PathEscape(token)},
		{"QueryEscape, lower-case hex", lowerPct(url.QueryEscape(token))},
		{"encoding/json", jsonInner(t, token)},
		{`JSON \/`, strings.ReplaceAll(jsonInner(t, token), "/", `\/`)},
		{`JSON \u002b`, allUnicodeEscaped(token, false)},
		{`JSON \u002B`, allUnicodeEscaped(token, true)},
		{"base64", base64.StdEncoding.EncodeToString([]byte(token))},
		{"base64 raw", base64.RawStdEncoding.EncodeToString([]byte(token))},
		{"base64 URL-safe", base64.URLEncoding.EncodeToString([]byte(token))},
		{"base64 URL-safe raw", base64.RawURLEncoding.EncodeToString([]byte(token))},
		{"hex", hex.EncodeToString([]byte(token))},
		{"HEX", strings.ToUpper(hex.EncodeToString([]byte(token)))},
	}
}

// TestEscapedFormsAreTheStandardLibrarys: the redactor's byte-wise
// escapers (no string copy of a secret) write what net/url and
// encoding/json write.
func TestEscapedFormsAreTheStandardLibrarys(t *testing.T) {
	var every strings.Builder
	for c := range 256 {
		every.WriteByte(byte(c))
	}
	for _, in := range []string{encodedToken, every.String(), "é日本\u2028\u2029😀 <a&b> \"q\" \\", "\xff\xfe ok"} {
		if got, want := string(percentEscaped([]byte(in), queryKeeps, true)), url.QueryEscape(in); got != want {
			t.Errorf("query escape of %q:\n got %q\nwant %q", in, got, want)
		}
		if got, want := string(percentEscaped([]byte(in), pathKeeps, true)), url.PathEscape(in); got != want {
			t.Errorf("path escape of %q:\n got %q\nwant %q", in, got, want)
		}
		if got, want := string(jsonEscaped([]byte(in))), jsonInner(t, in); got != want {
			t.Errorf("JSON of %q:\n got %q\nwant %q", in, got, want)
		}
	}
	if got, want := string(unicodeEscaped([]byte("a+😀"), false)), `a\u002b\ud83d\ude00`; got != want {
		t.Errorf("unicodeEscaped = %q, want %q", got, want)
	}
}

// TestRedactorRemovesEveryEncodingOfAToken: a token echoed URL-escaped,
// JSON-escaped, base64- or hex-encoded loses every 8 characters of that
// form, and the text around it stays.
func TestRedactorRemovesEveryEncodingOfAToken(t *testing.T) {
	r := &redactor{}
	r.addToken([]byte(encodedToken), "[T]")
	defer r.wipe()
	for _, enc := range tokenEncodings(t, encodedToken) {
		t.Run(enc.name, func(t *testing.T) {
			got := r.redactString("bad token " + enc.form + " (rejected)")
			if n := leftRuns(enc.form, got, tokenRunMax, false); n > 0 {
				t.Errorf("%d runs of 8 characters of the %s form are left: %q", n, enc.name, got)
			}
			if got != "bad token [T] (rejected)" {
				t.Errorf("redacted to %q, want only the token replaced", got)
			}
		})
	}
	// base64 of text holding the token: "Bearer " puts it 1 byte into a
	// 3-byte group. From character 10 on every character is the token's.
	for _, prefix := range []string{"Bearer ", "u:", "x"} {
		whole := base64.StdEncoding.EncodeToString([]byte(prefix + encodedToken))
		core := whole[(8*len(prefix)+5)/6 : len(whole)-4]
		if got := r.redactString("auth " + whole); leftRuns(core, got, tokenRunMax, false) > 0 {
			t.Errorf("base64 of %q+token: %q keeps token characters", prefix, got)
		}
	}
	// A case the token's window is too short to fold stays: "S3CR3T+t0KEN"
	// is not the token.
	if in := "S3CR3T+t0KEN/WITH"; r.redactString(in) != in {
		t.Errorf("a case-changed token text was redacted: %q", r.redactString(in))
	}
}

// TestHTTPReloadRedactsEncodedEchoesOfTheToken: a server that echoes the
// token URL-escaped (in a body or a 302 Location), as JSON \u escapes, as
// base64 or hex leaves none of it in the output or the error.
func TestHTTPReloadRedactsEncodedEchoesOfTheToken(t *testing.T) {
	e := startReloadEndpoint(t, false)
	env := map[string]string{"LB_TOKEN": encodedToken}
	encs := tokenEncodings(t, encodedToken)
	check := func(t *testing.T, res ReloadResult) {
		t.Helper()
		all := res.Output + "\n" + fmt.Sprint(res.Err)
		for _, enc := range encs {
			if n := leftRuns(enc.form, all, tokenRunMax, false); n > 0 {
				t.Errorf("%d runs of 8 characters of the token's %s form are in the result: %q", n, enc.name, all)
			}
		}
		if strings.Contains(all, encodedToken) || !strings.Contains(res.Output, "[token from $LB_TOKEN]") {
			t.Errorf("the token was not replaced by its variable's name: %q", all)
		}
	}
	t.Run("302 Location", func(t *testing.T) {
		e.misbehave = func(w http.ResponseWriter, r *http.Request) bool {
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			http.Redirect(w, r, "/login?t="+url.QueryEscape(tok)+"&p="+url.PathEscape(tok), http.StatusFound)
			return true
		}
		res := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN"}, env, 5*time.Second).Run(context.Background())
		if !strings.Contains(res.Output, "Location: /login?t=[token from $LB_TOKEN]&p=[token from $LB_TOKEN]") {
			t.Errorf("output %q: want the Location with the token replaced", res.Output)
		}
		check(t, res)
	})
	t.Run("body", func(t *testing.T) {
		e.misbehave = func(w http.ResponseWriter, r *http.Request) bool {
			w.WriteHeader(http.StatusUnauthorized)
			for _, enc := range encs {
				fmt.Fprintf(w, "{\"error\": \"bad token\", \"%s\": \"%s\"}\n", enc.name, enc.form)
			}
			return true
		}
		check(t, httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN"}, env, 5*time.Second).Run(context.Background()))
	})
}

// TestRedactorRemovesEveryEncodingOfAKey: a HAProxy payload's key echoed
// as hex of its DER (lower, upper or mixed case), as lower-cased or
// URL-safe base64, URL- or JSON-escaped loses every 12 characters of that
// form, and ordinary text stays.
func TestRedactorRemovesEveryEncodingOfAKey(t *testing.T) {
	f := newHAProxyFixture(t, "unix")
	r := keyRedactor(f.newPEM)
	defer r.wipe()
	for _, enc := range keyEncodings(t, f) {
		t.Run(enc.name, func(t *testing.T) {
			got := r.redactString("bad line: " + enc.form + "\nSuccess!")
			if n := leftRuns(enc.form, got, keyRunMin, true); n > 0 {
				t.Errorf("%d runs of 12 characters of the key's %s form are left", n, enc.name)
			}
			if got != "bad line: [private key redacted]\nSuccess!" {
				t.Errorf("redacted to %d bytes, want only the key replaced", len(got))
			}
		})
	}
	for _, in := range []string{"Transaction created for certificate /etc/haproxy/certs/web.pem!", "Serial: 0123456789ABCDEF0123", "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnop"} {
		if got := r.redactString(in); got != in {
			t.Errorf("ordinary text %q redacted to %q", in, got)
		}
	}
}

// keyEncodings are the forms an echo of the fixture's key takes.
func keyEncodings(t *testing.T, f *haproxyFixture) []struct{ name, form string } {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(f.keyB64)
	if err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(der)
	mixed := []byte(h)
	for i := 0; i < len(mixed); i += 2 {
		mixed[i] = strings.ToUpper(string(mixed[i]))[0]
	}
	return []struct{ name, form string }{
		{"hex of the DER", h},
		{"HEX of the DER", strings.ToUpper(h)},
		{"mixed-case hex", string(mixed)},
		{"lower-cased base64", strings.ToLower(f.keyB64)},
		{"upper-cased base64", strings.ToUpper(f.keyB64)},
		{"base64 raw", base64.RawStdEncoding.EncodeToString(der)},
		{"URL-safe base64", base64.URLEncoding.EncodeToString(der)},
		{"URL-safe base64 raw", base64.RawURLEncoding.EncodeToString(der)},
		{"url.QueryEscape", url.QueryEscape(f.keyB64)},
		{"url.PathEscape", url.PathEscape(f.keyB64)},
		{`JSON \u002b`, allUnicodeEscaped(f.keyB64, false)},
		{`JSON \/`, strings.ReplaceAll(f.keyB64, "/", `\/`)},
	}
}

// TestHAProxyReloadRedactsEncodedEchoesOfTheKey: through the reload, a
// socket that echoes the key in any of those forms leaves none of it in
// the output or the error.
func TestHAProxyReloadRedactsEncodedEchoesOfTheKey(t *testing.T) {
	f := newHAProxyFixture(t, "unix")
	encs := keyEncodings(t, f)
	f.api.tamper = func(reply string, _ []byte) string {
		for _, enc := range encs {
			reply += "echo: " + enc.form + "\n"
		}
		return reply
	}
	f.api.commitFails = true
	res := f.reload(t, f.newPEM, false, 5*time.Second).Run(context.Background())
	all := res.Output + "\n" + fmt.Sprint(res.Err)
	for _, enc := range encs {
		if n := leftRuns(enc.form, all, keyRunMin, true); n > 0 {
			t.Errorf("%d runs of 12 characters of the key's %s form are in the result", n, enc.name)
		}
	}
	if !strings.Contains(res.Output, "echo: [private key redacted]") {
		t.Errorf("no redaction marker in the output (%d bytes)", len(res.Output))
	}
}
