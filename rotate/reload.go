package rotate

import (
	"context"
	"time"
)

// Step is one exact thing an action will do, as the console's (y/N)
// dialog and --dry-run print it verbatim: the argv, the host and port, the
// socket and the command, the files. Secrets never appear in a Step: an
// HTTP reload names the variable its token comes from, not the token.
type Step struct {
	Kind   string   `json:"kind"`           // model.ReloadExec …, or "publish", "rollback", "write"
	Target string   `json:"target"`         // host:port, socket path, pid file, URL, file
	Argv   []string `json:"argv,omitempty"` // exec: local argv; ssh: the remote argv
	Detail string   `json:"detail"`         // one line a person reads: "SIGHUP to the pid in /run/nginx.pid"
}

// Reload makes a server pick up the certificate currently on disk (or, for
// HAProxy's runtime API, the one it is handed): exec, signal, ssh, http,
// haproxy. One Reload value is one configured `reloads:` entry.
type Reload interface {
	// Name is the configured reload name.
	Name() string
	// Steps says exactly what Run will do. It does no I/O.
	Steps() []Step
	// Run performs the reload once. It returns when the reload is done,
	// failed, or ctx ends (the reload's own timeout is applied inside);
	// it never blocks past ctx. Nothing but the reload itself changes.
	Run(ctx context.Context) ReloadResult
}

// ReloadResult is what one reload did. Output is bounded and may hold
// anything the far side sent: callers sanitise it before display
// (model.Sanitize) and JSON keeps it exact.
type ReloadResult struct {
	Err      error
	ExitCode int           // exec and ssh: the command's exit status; -1 when it has none
	Output   string        // exec/ssh: the tail of stderr; http: the body's start; haproxy: the reply
	Duration time.Duration // from start to end
}

// OK reports whether the reload succeeded.
func (r ReloadResult) OK() bool { return r.Err == nil }
