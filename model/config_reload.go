package model

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxActionTimeout bounds a reload's timeout and a verify_timeout: an
// action that may run for longer than an hour is a typo, and the console
// shows it running all that while.
const MaxActionTimeout = time.Hour

// DefaultKnownHosts is where an ssh reload reads host keys when its
// known_hosts is not set; `~/` is $HOME (see Fleet.resolvePaths).
const DefaultKnownHosts = "~/.ssh/known_hosts"

// reloadSignals are the signals a signal reload may send, without "SIG"
// (the same list as rotate's signal reload: servers reload, re-open logs,
// stop gracefully or pause listeners on them).
var reloadSignals = []string{"HUP", "USR1", "USR2", "WINCH", "TERM", "INT", "QUIT", "ALRM", "CONT", "TTIN", "TTOU"}

var (
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	httpMethodRE = regexp.MustCompile(`^[A-Z]{3,10}$`)
)

// ValidateVerifyTimeout is the one rule for verify_timeout (config and
// `certdeck reload --timeout`).
func ValidateVerifyTimeout(d time.Duration) error {
	if d <= 0 || d > MaxActionTimeout {
		return fmt.Errorf("verify_timeout %s: must be more than 0 and at most %s", FormatDays(d), FormatDays(MaxActionTimeout))
	}
	return nil
}

// resolveReloads resolves every `reloads:` entry; names are unique among
// reloads (a reload may share a bundle's or an endpoint's name).
func (c *Config) resolveReloads() ([]Reload, error) {
	var out []Reload
	seen := map[string]int{}
	for i, rc := range c.Reloads {
		at := c.lines().reload(i)
		r, err := rc.resolve()
		if err != nil {
			return nil, at.wrap(fmt.Sprintf("reload %d (%s)", i+1, orIndex(rc.Name, i)), err)
		}
		if prev, dup := seen[r.Name]; dup {
			return nil, at.at("name", fmt.Errorf("reload name %q is used twice (also by reload %d%s)",
				r.Name, prev, c.lines().reload(prev-1).onLine()))
		}
		seen[r.Name] = i + 1
		r.Line = at.line
		out = append(out, r)
	}
	return out, nil
}

// checkReloadRef checks that a bundle's or endpoint's `reload:` names a
// configured reload.
func (f *Fleet) checkReloadRef(name string) error {
	if name == "" {
		return nil
	}
	if _, ok := f.ReloadByName(name); ok {
		return nil
	}
	var names []string
	for _, r := range f.Reloads {
		names = append(names, r.Name)
	}
	have := "none are configured"
	if len(names) > 0 {
		have = "configured: " + strings.Join(names, ", ")
	}
	return keyErr("reload", fmt.Errorf("reload %q is not a configured reload (%s)", name, have))
}

// resolve checks one `reloads:` entry: a name, exactly one kind, the keys
// that kind takes and no others, and defaults applied.
func (rc ReloadConfig) resolve() (Reload, error) {
	r := Reload{Name: rc.Name, Timeout: durOr(rc.Timeout, DefaultReloadTimeout)}
	if r.Name == "" {
		return Reload{}, keyErr("name", fmt.Errorf("name is required (bundles and endpoints refer to a reload by it)"))
	}
	if strings.IndexFunc(r.Name, func(c rune) bool { return c <= ' ' || c == 0x7f }) >= 0 {
		return Reload{}, keyErr("name", fmt.Errorf("reload name %q: no spaces or control characters", r.Name))
	}
	if r.Timeout <= 0 || r.Timeout > MaxActionTimeout {
		return Reload{}, keyErr("timeout", fmt.Errorf("timeout %s: must be more than 0 and at most %s", FormatDays(r.Timeout), FormatDays(MaxActionTimeout)))
	}
	var kinds []string
	for _, k := range []struct {
		kind string
		set  bool
	}{
		{ReloadExec, rc.Exec != nil}, {ReloadSignal, rc.Signal != ""}, {ReloadSSH, rc.SSH != nil},
		{ReloadHTTP, rc.HTTP != nil}, {ReloadHAProxy, rc.HAProxy != nil},
	} {
		if k.set {
			kinds = append(kinds, k.kind)
		}
	}
	switch len(kinds) {
	case 0:
		return Reload{}, keyErr("name", fmt.Errorf("no kind: set one of exec, signal, ssh, http or haproxy"))
	case 1:
		r.Kind = kinds[0]
	default:
		return Reload{}, keyErr(kinds[1], fmt.Errorf("sets %s: exactly one kind per reload", strings.Join(kinds, " and ")))
	}
	// Keys that belong to another kind are refused rather than ignored:
	// a pidfile under an exec reload is a mistake, not a no-op.
	for _, k := range []struct {
		key, kind string
		set       bool
	}{
		{"env", ReloadExec, rc.Env != nil}, {"dir", ReloadExec, rc.Dir != ""},
		{"pidfile", ReloadSignal, rc.PIDFile != ""}, {"command", ReloadSSH, rc.Command != nil},
	} {
		if k.set && r.Kind != k.kind {
			return Reload{}, keyErr(k.key, fmt.Errorf("%s goes with %s, not with %s", k.key, k.kind, r.Kind))
		}
	}
	var err error
	switch r.Kind {
	case ReloadExec:
		err = r.resolveExec(rc)
	case ReloadSignal:
		err = r.resolveSignal(rc)
	case ReloadSSH:
		err = r.resolveSSH(rc)
	case ReloadHTTP:
		err = r.resolveHTTP(rc)
	case ReloadHAProxy:
		err = r.resolveHAProxy(rc)
	}
	if err != nil {
		return Reload{}, err
	}
	return r, nil
}

func (r *Reload) resolveExec(rc ReloadConfig) error {
	if err := checkArgv(rc.Exec); err != nil {
		return keyErr("exec", fmt.Errorf("exec: %w", err))
	}
	for k, v := range rc.Env {
		if !envNameRE.MatchString(k) {
			return keyErr("env", fmt.Errorf("env: %q is not a variable name", k))
		}
		if strings.ContainsRune(v, 0) {
			return keyErr("env", fmt.Errorf("env: %s holds a NUL byte", k))
		}
	}
	r.Exec, r.Env, r.Dir = slices.Clone(rc.Exec), rc.Env, rc.Dir
	return nil
}

// checkArgv: commands run without a shell, so argv[0] is the program and
// every element reaches it as one argument; a NUL cannot.
func checkArgv(argv []string) error {
	if len(argv) == 0 || argv[0] == "" {
		return fmt.Errorf("needs a program: an argv list such as [\"systemctl\", \"reload\", \"nginx\"]")
	}
	for i, a := range argv {
		if strings.ContainsRune(a, 0) {
			return fmt.Errorf("argument %d holds a NUL byte", i+1)
		}
	}
	return nil
}

func (r *Reload) resolveSignal(rc ReloadConfig) error {
	sig := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(rc.Signal)), "SIG")
	if !slices.Contains(reloadSignals, sig) {
		return keyErr("signal", fmt.Errorf("signal %q: want one of %s", rc.Signal, strings.Join(reloadSignals, ", ")))
	}
	if rc.PIDFile == "" {
		return keyErr("signal", fmt.Errorf("signal needs pidfile: the file holding the server's pid"))
	}
	r.Signal, r.PIDFile = sig, rc.PIDFile
	return nil
}

func (r *Reload) resolveSSH(rc ReloadConfig) error {
	s := *rc.SSH
	if s.Host == "" || strings.ContainsAny(s.Host, " \t/@") {
		return keyErr("ssh.host", fmt.Errorf("ssh: host %q: want a host name or IP address (user: and port: are separate keys)", s.Host))
	}
	if s.Port == 0 {
		s.Port = 22
	}
	if s.Port < 1 || s.Port > 65535 {
		return keyErr("ssh.port", fmt.Errorf("ssh: port %d: must be 1-65535", s.Port))
	}
	if s.KnownHosts == "" {
		s.KnownHosts = DefaultKnownHosts
	}
	s.KnownHosts, s.Identity = expandHome(s.KnownHosts), expandHome(s.Identity)
	if err := checkArgv(rc.Command); err != nil {
		return keyErr("command", fmt.Errorf("ssh reload needs command: %w", err))
	}
	r.SSH, r.Command = s, slices.Clone(rc.Command)
	return nil
}

func (r *Reload) resolveHTTP(rc ReloadConfig) error {
	h := *rc.HTTP
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return keyErr("http.url", fmt.Errorf("http: url %q: want an http:// or https:// URL with a host", h.URL))
	}
	if u.User != nil {
		// A password in the config would land in every plan, dialog and
		// audit line that shows the URL.
		return keyErr("http.url", fmt.Errorf("http: url %s carries credentials: put the token in an environment variable and name it with bearer_env", u.Redacted()))
	}
	if h.Method == "" {
		h.Method = "POST"
	}
	if !httpMethodRE.MatchString(h.Method) {
		return keyErr("http.method", fmt.Errorf("http: method %q: want an upper-case HTTP method such as POST", h.Method))
	}
	if h.Expect == 0 {
		h.Expect = 200
	}
	if h.Expect < 100 || h.Expect > 599 {
		return keyErr("http.expect", fmt.Errorf("http: expect %d: want an HTTP status code (100-599)", h.Expect))
	}
	if h.BearerEnv != "" && !envNameRE.MatchString(h.BearerEnv) {
		return keyErr("http.bearer_env", fmt.Errorf("http: bearer_env %q is not a variable name (it names the variable holding the token, never the token)", h.BearerEnv))
	}
	if h.BearerEnv != "" && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return keyErr("http.bearer_env", fmt.Errorf("http: a bearer token to %s over plain http would cross the network in the clear: use https", u.Host))
	}
	if h.CA != "" && u.Scheme != "https" {
		return keyErr("http.ca", fmt.Errorf("http: ca applies to an https url only"))
	}
	r.HTTP = h
	return nil
}

func (r *Reload) resolveHAProxy(rc ReloadConfig) error {
	h := *rc.HAProxy
	if h.Socket == "" {
		return keyErr("haproxy", fmt.Errorf("haproxy: socket is required (the stats socket path, or 127.0.0.1:port)"))
	}
	if host, port, err := net.SplitHostPort(h.Socket); err == nil && !strings.Contains(h.Socket, "/") {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
			return keyErr("haproxy.socket", fmt.Errorf("haproxy: socket %q: want a unix socket path or 127.0.0.1:port", h.Socket))
		}
		// The payload holds the private key and the runtime API has no
		// encryption: it never leaves the machine.
		if !isLoopback(host) {
			return keyErr("haproxy.socket", fmt.Errorf("haproxy: socket %s is not on this machine: the runtime API is unencrypted and the payload holds the private key (use a unix socket or a loopback address)", h.Socket))
		}
	}
	if h.Crt == "" {
		return keyErr("haproxy", fmt.Errorf("haproxy: crt is required (the certificate path exactly as haproxy.cfg names it)"))
	}
	r.HAProxy = h
	return nil
}

// IsTCPSocket reports whether a haproxy socket is host:port rather than a
// unix socket path.
func (h HAProxyConfig) IsTCPSocket() bool {
	_, _, err := net.SplitHostPort(h.Socket)
	return err == nil && !strings.Contains(h.Socket, "/")
}

// expandHome turns a leading "~/" into $HOME, as ssh does for identity
// and known_hosts paths. Without an absolute $HOME the path is left as it
// is, and the file check at load says it does not exist.
func expandHome(p string) string {
	rest, ok := strings.CutPrefix(p, "~/")
	home := os.Getenv("HOME")
	if !ok || !filepath.IsAbs(home) {
		return p
	}
	return filepath.Join(home, rest)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ReloadByName finds a configured reload.
func (f *Fleet) ReloadByName(name string) (Reload, bool) {
	for _, r := range f.Reloads {
		if r.Name == name {
			return r, true
		}
	}
	return Reload{}, false
}

// BundleByName finds a configured bundle.
func (f *Fleet) BundleByName(name string) (Bundle, bool) {
	for _, b := range f.Bundles {
		if b.Name == name {
			return b, true
		}
	}
	return Bundle{}, false
}

// BundleServing is the first bundle whose serves: lists endpoint: the
// certificate the endpoint should present.
func (f *Fleet) BundleServing(endpoint string) (Bundle, bool) {
	for _, b := range f.Bundles {
		if slices.Contains(b.Serves, endpoint) {
			return b, true
		}
	}
	return Bundle{}, false
}

// ReloadFor is the reload name that makes endpoint pick up bundle b's
// certificate: the endpoint's own, else the bundle's, else "".
func ReloadFor(ep Endpoint, b Bundle) string {
	if ep.Reload != "" {
		return ep.Reload
	}
	return b.Reload
}
