package rotate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"certdeck/model"
)

// ReloadEnv is what a reload takes from the world besides its config.
type ReloadEnv struct {
	// Getenv reads the environment (bearer tokens, $PATH, $SSH_AUTH_SOCK,
	// $HOME); nil means os.Getenv. Tests pass a map.
	Getenv func(string) string
	// Payload returns the PEM certificate chain and private key to
	// install (haproxy: the bundle being applied). The bytes are used in
	// memory only: never written to an error, an Output or a log.
	Payload func(ctx context.Context) ([]byte, error)
	// LocalCrtWrite makes a haproxy reload also replace its crt file on
	// this machine after a successful commit, so that a restart, which
	// re-reads the disk, does not revert the swap.
	LocalCrtWrite bool
}

func (e ReloadEnv) getenv(name string) string {
	if e.Getenv == nil {
		return os.Getenv(name)
	}
	return e.Getenv(name)
}

// NewReload builds the Reload for one resolved `reloads:` entry. It checks
// everything that can be checked without touching the target (argv, signal
// name, URL, socket address, quoting), so a bad entry is a config error
// naming the reload and its line, not a failure at 3 a.m.; it does no I/O
// beyond reading files the entry names (an http reload's ca:).
func NewReload(r model.Reload, env ReloadEnv) (Reload, error) {
	if r.Timeout <= 0 {
		r.Timeout = model.DefaultReloadTimeout
	}
	var (
		rl  Reload
		err error
	)
	switch r.Kind {
	case model.ReloadExec:
		rl, err = newExecReload(r, env)
	case model.ReloadSignal:
		rl, err = newSignalReload(r)
	case model.ReloadSSH:
		rl, err = newSSHReload(r, env)
	case model.ReloadHTTP:
		rl, err = newHTTPReload(r, env)
	case model.ReloadHAProxy:
		rl, err = newHAProxyReload(r, env)
	default:
		err = fmt.Errorf("unknown kind %q (want exec, signal, ssh, http or haproxy)", r.Kind)
	}
	if err != nil {
		return nil, reloadConfigError(r, err)
	}
	return rl, nil
}

// reloadConfigError names the reload and, when it comes from a file, its
// line.
func reloadConfigError(r model.Reload, err error) error {
	if r.Line > 0 {
		return fmt.Errorf("reload %q (line %d): %w", r.Name, r.Line, err)
	}
	return fmt.Errorf("reload %q: %w", r.Name, err)
}

// runTimed applies the reload's own timeout to ctx, runs fn and stamps
// the duration. fn must return when ctx ends.
func runTimed(ctx context.Context, timeout time.Duration, fn func(ctx context.Context) ReloadResult) ReloadResult {
	start := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, reloadTimeout(timeout))
	defer cancel()
	res := fn(ctx)
	res.Duration = time.Since(start)
	return res
}

// reloadTimeout is the cause of a context ended by the reload's own
// timeout, so the error names the limit that fired.
type reloadTimeout time.Duration

func (t reloadTimeout) Error() string {
	return fmt.Sprintf("timed out after %v (the reload's timeout)", time.Duration(t))
}

// failed is a result with an error and no exit status.
func failed(err error) ReloadResult { return ReloadResult{Err: err, ExitCode: -1} }

// ctxErr says why ctx ended: the reload's timeout, the caller's deadline,
// or a cancel (the console quitting).
func ctxErr(ctx context.Context) error {
	cause := context.Cause(ctx)
	var rt reloadTimeout
	switch {
	case errors.As(cause, &rt):
		return rt
	case errors.Is(cause, context.DeadlineExceeded):
		return errors.New("timed out (the caller's deadline)")
	case cause != nil:
		return fmt.Errorf("cancelled: %w", cause)
	}
	return errors.New("cancelled")
}

// netErr is err, or why ctx ended when that is what broke the I/O. A
// connection's deadline is set to ctx's, so its timeout can surface a
// moment before ctx reports done: then wait for ctx, which ends now.
func netErr(ctx context.Context, err error) error {
	if dl, ok := ctx.Deadline(); ok && (errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(dl)) {
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		return ctxErr(ctx)
	}
	return err
}
