package rotate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"certdeck/model"
)

// httpBodyLimit bounds how much of a reload endpoint's reply lands in
// the result.
const httpBodyLimit = 4 << 10

// caFileLimit caps an http reload's ca: file.
const caFileLimit = 1 << 20

type httpReload struct {
	name      string
	method    string
	url       *url.URL
	bearerEnv string
	expect    int
	client    *http.Client
	timeout   time.Duration
	getenv    func(string) string
}

func newHTTPReload(r model.Reload, env ReloadEnv) (*httpReload, error) {
	c := r.HTTP
	method := strings.ToUpper(c.Method)
	if method == "" {
		method = http.MethodPost
	}
	if !validMethod(method) {
		return nil, fmt.Errorf("http: method %q is not an HTTP method", c.Method)
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("http: url %q is not an http:// or https:// URL", c.URL)
	}
	if u.User != nil {
		// A password in the URL is a secret in the config file.
		return nil, fmt.Errorf("http: url %s holds a user name or password: put the secret in the environment and name it with bearer_env", u.Redacted())
	}
	expect := c.Expect
	if expect == 0 {
		expect = http.StatusOK
	}
	if expect < 100 || expect > 599 {
		return nil, fmt.Errorf("http: expect %d is not an HTTP status code", c.Expect)
	}
	if c.BearerEnv != "" && strings.ContainsAny(c.BearerEnv, "=\x00 ") {
		return nil, fmt.Errorf("http: bearer_env %q is not an environment variable name", c.BearerEnv)
	}
	tr := &http.Transport{
		// Never through $HTTPS_PROXY: a reload endpoint is an admin API
		// on the fleet's own network, and a proxy would see the token.
		Proxy:               nil,
		DialContext:         (&net.Dialer{}).DialContext,
		ForceAttemptHTTP2:   true,
		DisableKeepAlives:   true, // one request per reload; no idle connection left behind
		TLSHandshakeTimeout: r.Timeout,
	}
	if c.CA != "" {
		if u.Scheme != "https" {
			return nil, fmt.Errorf("http: ca: given for %s, which is not https", u.Redacted())
		}
		pem, err := model.ReadRegularFile(c.CA, "ca file", caFileLimit)
		if err != nil {
			return nil, fmt.Errorf("http: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("http: ca file %s holds no PEM certificate", c.CA)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &httpReload{
		name: r.Name, method: method, url: u, bearerEnv: c.BearerEnv, expect: expect,
		timeout: r.Timeout, getenv: env.getenv,
		client: &http.Client{
			Transport: tr,
			// A redirect is a failure: following it would send the token
			// to wherever the reply points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func validMethod(m string) bool {
	return m != "" && strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

func (h *httpReload) Name() string { return h.name }

func (h *httpReload) Steps() []Step {
	auth := "no token"
	if h.bearerEnv != "" {
		auth = "bearer token from $" + h.bearerEnv
	}
	return []Step{{
		Kind:   model.ReloadHTTP,
		Target: h.url.String(),
		Detail: fmt.Sprintf("%s %s (%s), success only on status %d, redirects not followed, timeout %v", h.method, h.url, auth, h.expect, h.timeout),
	}}
}

func (h *httpReload) Run(ctx context.Context) ReloadResult {
	return runTimed(ctx, h.timeout, h.run)
}

func (h *httpReload) run(ctx context.Context) ReloadResult {
	what := h.method + " " + h.url.String()
	token := ""
	if h.bearerEnv != "" {
		token = h.getenv(h.bearerEnv)
		if token == "" {
			return failed(fmt.Errorf("http %s: $%s is not set (the bearer token comes from the environment)", what, h.bearerEnv))
		}
		if strings.ContainsAny(token, "\r\n\x00") {
			return failed(fmt.Errorf("http %s: the token in $%s holds a line break or NUL", what, h.bearerEnv))
		}
	}
	// redact keeps the token out of everything the result carries, even
	// when the far side echoes it back (a body "bad token …", a Location),
	// whole, in part, or split by a line break or an escape sequence, and
	// URL-escaped, JSON-escaped, base64- or hex-encoded (tokenForms).
	redact := &redactor{}
	if token != "" {
		redact.addToken([]byte(token), "[token from $"+h.bearerEnv+"]")
	}
	defer redact.wipe()
	req, err := http.NewRequestWithContext(ctx, h.method, h.url.String(), nil)
	if err != nil {
		return failed(fmt.Errorf("http %s: %w", what, err))
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", "certdeck-reload")
	resp, err := h.client.Do(req)
	if err != nil {
		return failed(fmt.Errorf("http %s: %s", what, redact.redactString(netErr(ctx, err).Error())))
	}
	defer resp.Body.Close()
	// Read past the limit and redact before cutting: a token the limit
	// would split is still matched whole.
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, httpBodyLimit+redactMargin))
	body := redactThenCut(redact, raw, httpBodyLimit)
	clear(raw)
	// The error says what happened by status code; what the server wrote
	// (its reason phrase, its Location, its body) goes to Output, which is
	// shown but, unlike the error, not kept in the audit log.
	res := ReloadResult{ExitCode: -1, Output: body}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != h.expect:
		res.Output = "Location: " + redact.redactString(resp.Header.Get("Location")) + "\n" + body
		res.Err = fmt.Errorf("http %s: status %s, a redirect (its Location is in the output), which certdeck does not follow (point url: at the reload endpoint itself)", what, statusText(resp.StatusCode))
	case resp.StatusCode != h.expect:
		res.Err = fmt.Errorf("http %s: status %s, want %d", what, statusText(resp.StatusCode), h.expect)
	case readErr != nil && !errors.Is(readErr, io.EOF):
		res.Err = fmt.Errorf("http %s: status %d but the reply broke off: %s", what, resp.StatusCode, redact.redactString(netErr(ctx, readErr).Error()))
	}
	return res
}

// statusText is a status code with Go's name for it ("500 Internal Server
// Error"), never the reason phrase the server sent: that is free text.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
