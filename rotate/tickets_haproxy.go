package rotate

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"time"

	"certdeck/model"
)

// HAProxyTicketAPI is HAProxy's runtime API for one tls-ticket-keys file
// (REAL-SERVERS.md, verified on 2.6): `show tls-keys REF` lists the three
// keys in use in file order (previous, current, next); `set ssl tls-key
// REF BASE64` drops the previous key, appends the new one as next, and
// the former next starts encrypting: exactly one rotation of the file,
// without a reload. The change is in memory only, so the file is written
// first (TicketDir.Rotate) and a later reload loads the same keys.
type HAProxyTicketAPI struct {
	// Socket is the stats socket (level admin): an absolute unix socket
	// path, or a loopback IP:PORT. The key travels over it in clear, so
	// nothing else is accepted.
	Socket string
	// Ref is the tls-ticket-keys file exactly as haproxy.cfg names it, or
	// "#ID" from `show tls-keys`.
	Ref string
	// Timeout bounds one command (default 5s).
	Timeout time.Duration
}

// haproxyKeyUpdated is the reply of a successful `set ssl tls-key`: the
// runtime API has no status codes, only text.
const haproxyKeyUpdated = "TLS ticket key updated!"

// Names returns the names of the keys HAProxy holds for Ref, in file
// order: previous, current, next. The reply carries the keys' secrets in
// base64: only the 16 name bytes of each are kept, and no error quotes
// the reply.
func (a HAProxyTicketAPI) Names(ctx context.Context) ([]string, error) {
	reply, err := a.command(ctx, "show tls-keys "+a.Ref+"\n", nil)
	if err != nil {
		return nil, err
	}
	var names []string
	sc := bufio.NewScanner(strings.NewReader(reply))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, b64, ok := strings.Cut(line, " ")
		if !ok || !strings.Contains(id, ".") {
			return nil, fmt.Errorf("haproxy show tls-keys %s: %s", a.Ref, safeReply(line))
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(raw) < model.TicketKeyNameLen {
			return nil, fmt.Errorf("haproxy show tls-keys %s: key %s is not a base64 ticket key", a.Ref, id)
		}
		names = append(names, hex.EncodeToString(raw[:model.TicketKeyNameLen]))
		clear(raw)
	}
	if len(names) != model.HAProxyTicketLines {
		return nil, fmt.Errorf("haproxy show tls-keys %s: %d keys listed, want 3", a.Ref, len(names))
	}
	return names, nil
}

// Push installs k as HAProxy's next key (set ssl tls-key), which makes the
// former next key encrypt. k must be the size of the keys HAProxy holds.
func (a HAProxyTicketAPI) Push(ctx context.Context, k model.TicketKey) error {
	raw, err := k.Encode(model.TicketHAProxy)
	if err != nil {
		return err
	}
	b64 := []byte(base64.StdEncoding.EncodeToString(raw))
	clear(raw)
	defer clear(b64)
	// A reply that echoes the key, whole, cut or re-wrapped, loses it
	// before anything quotes it.
	redact := &redactor{}
	redact.add(b64, keyRunMin, "[ticket key redacted]")
	defer redact.wipe()
	reply, err := a.command(ctx, "set ssl tls-key "+a.Ref+" "+string(b64)+"\n", redact)
	if err != nil {
		return err
	}
	if first := strings.TrimSpace(firstLine(reply)); first != haproxyKeyUpdated {
		return fmt.Errorf("haproxy set ssl tls-key %s: %s", a.Ref, safeReply(first))
	}
	return nil
}

// Step is what Push runs, for a plan: the key is never part of it.
func (a HAProxyTicketAPI) Step() Step {
	return Step{Kind: model.ReloadHAProxy, Target: a.Socket, Detail: "set ssl tls-key " + a.Ref + " <the new next key, base64>"}
}

// Check refuses a Socket that is not local or a Ref the runtime API would
// misread as more than one word (a ';' in the dir would be a second
// command): nothing is sent for either. Every command checks it first, so
// a plan (which asks show tls-keys) is refused as well.
func (a HAProxyTicketAPI) Check() error {
	if _, err := ticketSocketNetwork(a.Socket); err != nil {
		return err
	}
	if err := runtimeAPIWord("tls-ticket-keys file", a.Ref); err != nil {
		return fmt.Errorf("haproxy %s: %w", a.Socket, err)
	}
	return nil
}

// command sends one command on its own connection and reads the reply to
// the end (non-interactive mode: HAProxy answers and closes). The reply is
// redacted (when redact is not nil) before it is cut to haproxyReplyLimit.
func (a HAProxyTicketAPI) command(ctx context.Context, cmd string, redact *redactor) (string, error) {
	if err := a.Check(); err != nil {
		return "", err
	}
	network, _ := ticketSocketNetwork(a.Socket)
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dialRuntimeAPI(ctx, network, a.Socket)
	if err != nil {
		return "", fmt.Errorf("haproxy %s: connect: %w", a.Socket, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := io.WriteString(conn, cmd); err != nil {
		return "", fmt.Errorf("haproxy %s: send: %w", a.Socket, err)
	}
	raw, err := io.ReadAll(io.LimitReader(conn, haproxyReplyLimit+redactMargin))
	defer clear(raw)
	if err != nil {
		return "", fmt.Errorf("haproxy %s: read the reply: %w", a.Socket, err)
	}
	return redactThenCut(redact, raw, haproxyReplyLimit), nil
}

// ticketSocketNetwork accepts a unix socket path or a loopback address:
// the key crosses the connection in clear text.
func ticketSocketNetwork(socket string) (string, error) {
	if filepath.IsAbs(socket) {
		return "unix", nil
	}
	host, _, err := net.SplitHostPort(socket)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
		return "tcp", nil
	}
	return "", errors.New("haproxy socket " + socket + ": want the stats socket's absolute path or a loopback IP:PORT (the ticket key would cross the network in clear text)")
}

// safeReply is a reply line for an error: short, and never a line that
// could hold a key (base64 runs of a key's length).
func safeReply(line string) string {
	for _, f := range strings.Fields(line) {
		if len(f) >= 40 {
			return "unexpected reply (withheld: it may hold key material)"
		}
	}
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	return line
}

// RotateWithHAProxy rotates a haproxy-format dir and makes a running
// HAProxy follow it without a reload: a pool of one member driven over
// its runtime API (TicketPool). Phase 1: HAProxy must list the file's next
// key as its next (show tls-keys), else the rotation is refused before
// anything is written: set ssl tls-key would promote HAProxy's next, not
// the file's (reload HAProxy first). Phase 2: the file is rotated (so a
// later reload loads the same keys), set ssl tls-key installs the new next
// key, which promotes the former next, and show tls-keys must list the
// file's three keys. If that fails after the file was rotated, HAProxy
// keeps serving its old keys, and the error says to reload it.
func (d *TicketDir) RotateWithHAProxy(ctx context.Context, api HAProxyTicketAPI, opt RotateOptions) (*TicketResult, error) {
	if d.Format != model.TicketHAProxy {
		return nil, refuse(ReasonBadInput, "%s holds %s keys; HAProxy's runtime API takes haproxy-format keys", d.Dir, d.Format)
	}
	if err := api.Check(); err != nil {
		return nil, refuse(ReasonBadInput, "%v; nothing was sent or written", err)
	}
	p := &TicketPool{Name: d.Dir, Dir: d, TicketLifetime: opt.TicketLifetime,
		Members: []TicketPoolMember{{Endpoint: "haproxy " + api.Socket, Runtime: &api}}}
	res, err := p.Rotate(ctx, PoolOptions{Force: opt.Force, DryRun: opt.DryRun}, nil)
	if err != nil {
		return nil, err
	}
	if len(res.Phase2) == 1 && res.Phase2[0].State == MemberFailed {
		return res.Rotation, fmt.Errorf("the key file was rotated, but HAProxy was not (it still serves the old keys; reload it to load the file): %s", res.Phase2[0].Error)
	}
	return res.Rotation, nil
}

func shortNames(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = model.ShortKeyName(n)
	}
	return strings.Join(out, ", ")
}
