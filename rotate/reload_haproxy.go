package rotate

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"time"

	"certdeck/model"
)

// haproxyReplyLimit bounds one runtime-API reply (HAProxy's are a few
// lines).
const haproxyReplyLimit = 64 << 10

// haproxySuccess is the one reply line that means a commit took effect:
// the runtime API has no status codes, only text (REAL-SERVERS.md).
const haproxySuccess = "Success!"

type haproxyReload struct {
	name      string
	network   string // "unix" or "tcp"
	socket    string
	crt       string
	payload   func(ctx context.Context) ([]byte, error)
	writeDisk bool
	timeout   time.Duration
}

func newHAProxyReload(r model.Reload, env ReloadEnv) (*haproxyReload, error) {
	c := r.HAProxy
	h := &haproxyReload{name: r.Name, socket: c.Socket, crt: c.Crt, payload: env.Payload, writeDisk: env.LocalCrtWrite, timeout: r.Timeout}
	switch {
	case c.Socket == "":
		return nil, errors.New("haproxy: no socket (the stats socket's path, or 127.0.0.1:PORT)")
	case filepath.IsAbs(c.Socket):
		h.network = "unix"
	default:
		host, _, err := net.SplitHostPort(c.Socket)
		ip := net.ParseIP(host)
		if err != nil || ip == nil {
			return nil, fmt.Errorf("haproxy: socket %q is neither an absolute unix socket path nor IP:PORT", c.Socket)
		}
		if !ip.IsLoopback() {
			// The payload holds the private key, and the runtime API has
			// no encryption: it must not cross a network.
			return nil, fmt.Errorf("haproxy: socket %s is not a loopback address; the private key would cross the network in clear text (use the unix socket, or ssh to the host)", c.Socket)
		}
		h.network = "tcp"
	}
	if c.Crt == "" {
		return nil, errors.New("haproxy: no crt (the certificate path exactly as haproxy.cfg names it)")
	}
	if err := runtimeAPIWord("crt", c.Crt); err != nil {
		return nil, fmt.Errorf("haproxy: %w", err)
	}
	if h.writeDisk && !filepath.IsAbs(c.Crt) {
		return nil, fmt.Errorf("haproxy: crt %q is not absolute, so it cannot also be written on disk", c.Crt)
	}
	if env.Payload == nil {
		return nil, errors.New("haproxy: nothing to install (no payload source)")
	}
	return h, nil
}

// runtimeAPIWord refuses a word (a crt path, a ticket-key file) that
// HAProxy's runtime API would not read as one word of one command: it
// splits a command on spaces, ';' separates commands ("show tls-keys
// /tmp/tk;shutdown sessions server be/s1" is two) and '\' escapes. Every
// path certdeck sends is checked here, before anything is sent.
func runtimeAPIWord(what, w string) error {
	if strings.IndexFunc(w, func(r rune) bool { return r <= ' ' || r == ';' || r == '\\' || r == 0x7f }) >= 0 {
		return fmt.Errorf("%s %q holds a space, ';', '\\' or a control character, which the runtime API would misread", what, w)
	}
	return nil
}

func (h *haproxyReload) Name() string { return h.name }

func (h *haproxyReload) Steps() []Step {
	steps := []Step{
		{Kind: model.ReloadHAProxy, Target: h.socket, Detail: fmt.Sprintf("set ssl cert %s <<  (the bundle's certificate chain and private key)", h.crt)},
		{Kind: model.ReloadHAProxy, Target: h.socket, Detail: fmt.Sprintf("commit ssl cert %s  (success only on the reply %q; on anything else: abort ssl cert %s)", h.crt, haproxySuccess, h.crt)},
	}
	if h.writeDisk {
		steps = append(steps, Step{Kind: "write", Target: h.crt, Detail: fmt.Sprintf("replace %s atomically (owner, group and mode kept), so a restart does not revert the swap", h.crt)})
	}
	return steps
}

func (h *haproxyReload) Run(ctx context.Context) ReloadResult {
	return runTimed(ctx, h.timeout, h.run)
}

// abortReserve is the part of the reload's timeout kept for `abort ssl
// cert`: a transaction that times out is still aborted, and the reload
// still ends by its deadline.
func abortReserve(timeout time.Duration) time.Duration {
	return min(2*time.Second, timeout/4)
}

func (h *haproxyReload) run(actx context.Context) ReloadResult {
	// ctx bounds the transaction, actx (the whole reload) the abort.
	ctx := actx
	if dl, ok := actx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(actx, dl.Add(-abortReserve(h.timeout)), reloadTimeout(h.timeout))
		defer cancel()
	}
	if h.writeDisk {
		// Before the transaction: a swap whose disk file cannot follow
		// would be reverted by the next restart.
		if err := h.checkCrtFile(); err != nil {
			return failed(fmt.Errorf("%w; nothing sent", err))
		}
	}
	pemData, err := h.payload(ctx)
	if err != nil {
		return failed(fmt.Errorf("haproxy %s: the certificate to install: %w", h.crt, err))
	}
	payload, err := haproxyPayload(pemData)
	if err != nil {
		return failed(fmt.Errorf("haproxy %s: %w; nothing sent", h.crt, err))
	}
	defer clear(payload)
	redact := keyRedactor(payload)
	defer redact.wipe()

	// The replies go to Output (shown with the reload's line), never into
	// an error: an error is kept in the audit log, a server's output is
	// not (README, Audit log).
	var out strings.Builder
	setReply, err := h.command(ctx, append(append([]byte("set ssl cert "+h.crt+" <<\n"), payload...), '\n'), redact)
	out.WriteString(setReply)
	var unsent *notSentError
	if errors.As(err, &unsent) {
		// Not a byte reached HAProxy: no transaction was opened, and an
		// abort would fail the same way and advise a needless check.
		return failed(fmt.Errorf("haproxy %s: set ssl cert %s: %w; nothing sent", h.socket, h.crt, err))
	}
	if err != nil {
		return h.abort(actx, &out, redact, fmt.Errorf("set ssl cert %s: %w", h.crt, err))
	}
	if !strings.HasPrefix(setReply, "Transaction created") && !strings.HasPrefix(setReply, "Transaction updated") {
		return h.abort(actx, &out, redact, fmt.Errorf("set ssl cert %s refused (the reply is not \"Transaction created\" or \"Transaction updated\")", h.crt))
	}
	commitReply, err := h.command(ctx, []byte("commit ssl cert "+h.crt+"\n"), redact)
	out.WriteString(commitReply)
	if err != nil {
		return h.abort(actx, &out, redact, fmt.Errorf("commit ssl cert %s: %w", h.crt, err))
	}
	if lastLine(commitReply) != haproxySuccess {
		return h.abort(actx, &out, redact, fmt.Errorf("commit ssl cert %s refused (the reply does not end in %q)", h.crt, haproxySuccess))
	}
	res := ReloadResult{ExitCode: -1, Output: strings.TrimRight(out.String(), "\n")}
	if h.writeDisk {
		rep, err := WriteFileAtomic(h.crt, pemData, 0o600)
		if err != nil {
			res.Err = fmt.Errorf("haproxy serves the new certificate, but %w: a restart would revert to the old one", err)
			return res
		}
		if rep.Note != "" {
			res.Output += "\n" + rep.Note
		}
	}
	return res
}

// Preflight checks, without connecting, what Run would refuse before
// sending anything, so that an action refuses before it changes the
// store instead of publishing and then failing the reload (the store
// ahead of what HAProxy serves): a unix socket must be a socket in a
// StrictModes-safe directory (checkRuntimeSocketPath), and a crt file
// also written on disk must exist and pass --also-write's checks. A
// loopback port's owner is judged per connection, by Run: who holds the
// port when the key is sent is what matters. Run checks everything again.
func (h *haproxyReload) Preflight() error {
	if h.network == "unix" {
		if err := checkRuntimeSocketPath(h.socket); err != nil {
			return err // it names the socket
		}
	}
	if h.writeDisk {
		return h.checkCrtFile()
	}
	return nil
}

// checkCrtFile checks the crt file a successful commit is followed by
// replacing on disk: it must exist on this machine and pass
// WriteFileAtomic's checks (no symlink, no unsafe directory).
func (h *haproxyReload) checkCrtFile() error {
	t, err := checkReplaceTarget(h.crt, 0o600)
	if err == nil && !t.exists {
		err = errors.New("no such file on this machine")
	}
	if err != nil {
		return fmt.Errorf("haproxy crt %s: %w", h.crt, err)
	}
	return nil
}

// notSentError is a runtime-API command that failed before any byte of
// it was sent (the connection was refused, or failed dialRuntimeAPI's
// checks).
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// abort ends a failed transaction so nothing half-set lingers in HAProxy
// (a later commit would otherwise install it), and reports every reply
// in Output, redacted.
func (h *haproxyReload) abort(ctx context.Context, out *strings.Builder, redact *redactor, cause error) ReloadResult {
	reply, err := h.command(ctx, []byte("abort ssl cert "+h.crt+"\n"), redact)
	out.WriteString(reply)
	res := failed(fmt.Errorf("haproxy %s: %w; nothing committed", h.socket, cause))
	if err != nil {
		res.Err = fmt.Errorf("haproxy %s: %w; abort ssl cert %s failed too (%v): check `show ssl cert` for a pending transaction", h.socket, cause, h.crt, err)
	}
	res.Output = strings.TrimRight(out.String(), "\n")
	return res
}

// command sends one runtime-API command on its own connection and reads
// the reply to the end: in its default (non-interactive) mode HAProxy
// answers one command and closes. The reply comes back with the key
// removed, then cut to haproxyReplyLimit: it is read past the limit so a
// key line the limit would split is still matched whole.
func (h *haproxyReload) command(ctx context.Context, cmd []byte, redact *redactor) (string, error) {
	conn, err := dialRuntimeAPI(ctx, h.network, h.socket)
	if err != nil {
		return "", &notSentError{fmt.Errorf("connect: %w", netErr(ctx, err))}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := conn.Write(cmd); err != nil {
		return "", fmt.Errorf("send: %w", netErr(ctx, err))
	}
	raw, err := io.ReadAll(io.LimitReader(conn, haproxyReplyLimit+redactMargin))
	defer clear(raw)
	reply := redactThenCut(redact, raw, haproxyReplyLimit)
	if err != nil {
		return reply, fmt.Errorf("read the reply: %w", netErr(ctx, err))
	}
	return reply, nil
}

// haproxyPayload is the `set ssl cert` payload: the PEM chain and key
// with blank lines removed, since an empty line ends the payload. It must
// hold a certificate and a private key; it is checked here so a wrong
// input never opens a transaction.
func haproxyPayload(pemData []byte) ([]byte, error) {
	var certs, keys int
	for rest := pemData; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			certs++
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			keys++
		}
		clear(b.Bytes)
	}
	if certs == 0 || keys != 1 {
		return nil, fmt.Errorf("the payload must hold the certificate chain and one private key (found %d certificates, %d keys)", certs, keys)
	}
	out := make([]byte, 0, len(pemData))
	for _, line := range bytes.Split(pemData, []byte("\n")) {
		line = bytes.TrimRight(line, "\r \t")
		if len(line) == 0 {
			continue
		}
		out = append(append(out, line...), '\n')
	}
	return out, nil
}

// keyRedactor removes the payload's private key from a reply before it
// is kept: a runtime API that echoed its input (a socket that is not
// HAProxy's, or one that quotes what it could not parse) must not put key
// bytes into the result, whether the echo is whole, cut, or re-wrapped.
func keyRedactor(payload []byte) *redactor {
	r := &redactor{}
	for _, body := range pemKeyBodies(payload) {
		r.add(body, keyRunMin, "[private key redacted]")
		clear(body)
	}
	return r
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	if s == "" {
		return "an empty reply"
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}
