package rotate

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/model"
)

// testToken is distinctive, so a leak anywhere is found by substring.
const testToken = "tok-9f3c1e77-ONLY-IN-THE-ENV-b2d4"

// reloadEndpoint is an in-process HTTP reload API that accepts only the
// test token and counts reloads; misbehave lets a test change its answer.
type reloadEndpoint struct {
	*httptest.Server
	reloads   atomic.Int32
	misbehave func(w http.ResponseWriter, r *http.Request) bool
}

func startReloadEndpoint(t *testing.T, tlsServer bool) *reloadEndpoint {
	t.Helper()
	e := &reloadEndpoint{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.misbehave != nil && e.misbehave(w, r) {
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "bad token: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != "/reload" {
			http.Error(w, "no", http.StatusMethodNotAllowed)
			return
		}
		e.reloads.Add(1)
		fmt.Fprintln(w, "reloaded")
	})
	e.Server = httptest.NewUnstartedServer(h)
	e.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of the untrusted-CA test
	if tlsServer {
		e.StartTLS()
	} else {
		e.Start()
	}
	t.Cleanup(e.Close)
	return e
}

func httpReloadFor(t *testing.T, c model.HTTPConfig, env map[string]string, timeout time.Duration) Reload {
	t.Helper()
	return mustReload(t, model.Reload{Name: "lb", Kind: model.ReloadHTTP, HTTP: c, Timeout: timeout}, ReloadEnv{Getenv: mapEnv(env)})
}

// noToken fails if the token appears in anything the reload hands out.
func noToken(t *testing.T, rl Reload, res ReloadResult) {
	t.Helper()
	for _, s := range rl.Steps() {
		if strings.Contains(fmt.Sprint(s), testToken) {
			t.Errorf("the token is in a step: %+v", s)
		}
	}
	if res.Err != nil && strings.Contains(res.Err.Error(), testToken) {
		t.Errorf("the token is in the error: %v", res.Err)
	}
	if strings.Contains(res.Output, testToken) {
		t.Errorf("the token is in the output: %q", res.Output)
	}
}

func TestHTTPReloadSendsTheBearerTokenFromTheEnvironment(t *testing.T) {
	e := startReloadEndpoint(t, false)
	t.Setenv("LB_TOKEN", testToken)
	// Getenv nil: the real environment.
	rl := mustReload(t, model.Reload{Name: "lb", Kind: model.ReloadHTTP, HTTP: model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN"}}, ReloadEnv{})
	res := rl.Run(context.Background())
	if !res.OK() || e.reloads.Load() != 1 {
		t.Fatalf("reload: %v (reloads %d)", res.Err, e.reloads.Load())
	}
	if res.Output != "reloaded\n" {
		t.Errorf("output %q, want the body", res.Output)
	}
	steps := rl.Steps()
	if len(steps) != 1 || steps[0].Target != e.URL+"/reload" || !strings.Contains(steps[0].Detail, "POST") || !strings.Contains(steps[0].Detail, "$LB_TOKEN") {
		t.Errorf("steps %+v: want POST, the URL and the variable's name", steps)
	}
	noToken(t, rl, res)
}

func TestHTTPReloadNeverLeaksTheToken(t *testing.T) {
	e := startReloadEndpoint(t, false)
	env := map[string]string{"LB_TOKEN": testToken}
	for _, tc := range []struct {
		name string
		do   func(w http.ResponseWriter, r *http.Request)
	}{
		{"body echoes it", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "rejected "+r.Header.Get("Authorization"), http.StatusForbidden)
		}},
		{"redirect carries it", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/login?t="+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), http.StatusFound)
		}},
		{"success echoes it", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "ok for %s", r.Header.Get("Authorization"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.misbehave = func(w http.ResponseWriter, r *http.Request) bool { tc.do(w, r); return true }
			rl := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN"}, env, 5*time.Second)
			res := rl.Run(context.Background())
			noToken(t, rl, res)
			if !strings.Contains(res.Output+fmt.Sprint(res.Err), "[token from $LB_TOKEN]") {
				t.Errorf("the echoed token was not replaced by its variable's name: %q %v", res.Output, res.Err)
			}
		})
	}
}

// TestHTTPReloadRedactsPartsOfTheToken: an echo split by a line break or
// an escape sequence, a prefix, or a token the body limit cuts leaves no
// 8 characters of the token in the output or the error, sanitised or not.
func TestHTTPReloadRedactsPartsOfTheToken(t *testing.T) {
	e := startReloadEndpoint(t, false)
	env := map[string]string{"LB_TOKEN": testToken}
	for _, tc := range []struct {
		name string
		do   func(w http.ResponseWriter, r *http.Request)
	}{
		{"split by a line break", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad token "+testToken[:4]+"\n"+testToken[4:], http.StatusUnauthorized)
		}},
		{"split by an escape sequence", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad token "+testToken[:6]+"\x1b[0m"+testToken[6:20]+"\x1b]0;t\a"+testToken[20:], http.StatusUnauthorized)
		}},
		{"a prefix", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad token "+testToken[:12]+"…", http.StatusUnauthorized)
		}},
		{"cut by the body limit", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, strings.Repeat("x", httpBodyLimit-10)+testToken)
		}},
		{"a prefix in the Location", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/login?t="+testToken[:10]+"%0A"+testToken[10:])
			w.WriteHeader(http.StatusFound)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.misbehave = func(w http.ResponseWriter, r *http.Request) bool { tc.do(w, r); return true }
			rl := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN"}, env, 5*time.Second)
			res := rl.Run(context.Background())
			if res.OK() {
				t.Fatal("want a failure")
			}
			for what, s := range map[string]string{"output": res.Output, "error": res.Err.Error()} {
				if n := sharedRuns(testToken, s, 8) + sharedRuns(testToken, model.Sanitize(s), 8); n > 0 {
					t.Errorf("the %s holds %d runs of 8 characters of the token", what, n)
				}
			}
			if !strings.Contains(res.Output, "[token") { // the limit may cut the marker itself
				t.Errorf("no redaction marker in the output")
			}
		})
	}
}

func TestHTTPReloadTreatsARedirectAsAFailureNamingTheLocation(t *testing.T) {
	e := startReloadEndpoint(t, false)
	var followed atomic.Int32
	e.misbehave = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/elsewhere" {
			followed.Add(1)
			return false
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		return true
	}
	res := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN"}, map[string]string{"LB_TOKEN": testToken}, 5*time.Second).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "a redirect") || !strings.Contains(res.Err.Error(), "307") {
		t.Errorf("error %v, want a failure naming the status", res.Err)
	}
	// The Location is the server's text: shown with the output, not kept
	// in the error (which the audit log keeps).
	if !strings.Contains(res.Output, "Location: /elsewhere") || strings.Contains(res.Err.Error(), "/elsewhere") {
		t.Errorf("output %q / error %v: want the Location in the output only", res.Output, res.Err)
	}
	if followed.Load() != 0 {
		t.Error("the redirect was followed (and the token sent there)")
	}
}

func TestHTTPReloadChecksTheStatusAndBoundsTheBody(t *testing.T) {
	e := startReloadEndpoint(t, false)
	e.misbehave = func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(strings.Repeat("x", 1<<20)))
		return true
	}
	res := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload"}, nil, 5*time.Second).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "status 500 Internal Server Error, want 200") {
		t.Errorf("error %v", res.Err)
	}
	if len(res.Output) != httpBodyLimit {
		t.Errorf("output is %d bytes, want the first %d", len(res.Output), httpBodyLimit)
	}
	e.misbehave = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut {
			t.Errorf("method %s, want PUT", r.Method)
		}
		w.WriteHeader(http.StatusAccepted)
		return true
	}
	if res := httpReloadFor(t, model.HTTPConfig{Method: "put", URL: e.URL + "/reload", Expect: 202}, nil, 5*time.Second).Run(context.Background()); !res.OK() {
		t.Errorf("expect 202 with a 202 reply: %v", res.Err)
	}
}

func TestHTTPReloadMissingTokenVariableIsNamed(t *testing.T) {
	e := startReloadEndpoint(t, false)
	res := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN"}, nil, 5*time.Second).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "$LB_TOKEN is not set") {
		t.Errorf("error %v", res.Err)
	}
	if e.reloads.Load() != 0 {
		t.Error("a request went out without its token")
	}
}

func TestHTTPReloadTrustsTheConfiguredCA(t *testing.T) {
	e := startReloadEndpoint(t, true)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LB_TOKEN": testToken}
	if res := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN", CA: ca}, env, 5*time.Second).Run(context.Background()); !res.OK() {
		t.Fatalf("with ca: %v", res.Err)
	}
	res := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN"}, env, 5*time.Second).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "certificate") {
		t.Errorf("an untrusted server certificate: %v", res.Err)
	}
	// ca: replaces the roots: a server it did not sign is refused too.
	otherCA := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(otherCA, fixtures.root.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	res = httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload", BearerEnv: "LB_TOKEN", CA: otherCA}, env, 5*time.Second).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "certificate") {
		t.Errorf("a server the ca: did not sign: %v", res.Err)
	}
	if e.reloads.Load() != 1 {
		t.Errorf("reloads %d, want 1: the token went to an unverified server", e.reloads.Load())
	}
}

func TestHTTPReloadEndsWithinItsTimeout(t *testing.T) {
	e := startReloadEndpoint(t, false)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	e.misbehave = func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	}
	start := time.Now()
	res := httpReloadFor(t, model.HTTPConfig{URL: e.URL + "/reload"}, nil, 300*time.Millisecond).Run(context.Background())
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v", took)
	}
	if res.OK() || !strings.Contains(res.Err.Error(), "timed out after 300ms") {
		t.Errorf("error %v", res.Err)
	}
}

func TestNewReloadRefusesBadHTTPEntries(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    model.HTTPConfig
		want string
	}{
		{"password in the URL", model.HTTPConfig{URL: "https://admin:hunter2@lb:9000/reload"}, "put the secret in the environment"},
		{"not http", model.HTTPConfig{URL: "ftp://lb/reload"}, "not an http:// or https:// URL"},
		{"no host", model.HTTPConfig{URL: "http:///reload"}, "not an http"},
		{"bad method", model.HTTPConfig{URL: "http://lb/", Method: "GE T"}, "not an HTTP method"},
		{"bad expect", model.HTTPConfig{URL: "http://lb/", Expect: 42}, "not an HTTP status"},
		{"ca for http", model.HTTPConfig{URL: "http://lb/", CA: "/etc/ssl/x.pem"}, "not https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReload(model.Reload{Name: "lb", Kind: model.ReloadHTTP, HTTP: tc.c}, ReloadEnv{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the refusal repeats the password: %v", err)
			}
		})
	}
}
