package rotate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"certdeck/model"
)

// inheritedEnv is all an exec reload takes from certdeck's own
// environment. certdeck's environment holds other reloads' secrets (an
// http reload's bearer token), $SSH_AUTH_SOCK and whatever the operator's
// shell exported; a reload command gets none of that unless its `env:`
// says so. PATH finds the same tools the operator's shell finds (nginx,
// systemctl); HOME, USER and LOGNAME are what tools read their own config
// and identity from; LANG, LC_ALL and TZ keep messages and times as the
// operator reads them; TMPDIR keeps temporary files where the operator
// wants them.
var inheritedEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// defaultPath is the child's PATH when certdeck has none (some service
// managers start programs without one).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// execWaitDelay is how long a command's stderr may stay open after the
// command exited or was killed (a daemon it started that kept the pipe):
// after it, the pipe is closed and Run returns.
const execWaitDelay = 2 * time.Second

type execReload struct {
	name    string
	argv    []string
	env     []string // the child's whole environment, sorted
	path    string   // the child's PATH, argv[0] is looked up in it
	dir     string
	timeout time.Duration
}

func newExecReload(r model.Reload, env ReloadEnv) (*execReload, error) {
	if len(r.Exec) == 0 || r.Exec[0] == "" {
		return nil, errors.New("exec: an empty argv (want [\"program\", \"arg\", …])")
	}
	for i, a := range r.Exec {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, fmt.Errorf("exec: argument %d holds a NUL byte", i)
		}
	}
	prog := r.Exec[0]
	if strings.ContainsRune(prog, '/') && !filepath.IsAbs(prog) {
		// Reloads run in dir (default /), not where certdeck started.
		return nil, fmt.Errorf("exec: %q is a relative path; give an absolute path or a bare name looked up in PATH", prog)
	}
	dir := r.Dir
	if dir == "" {
		// Not certdeck's own working directory: a reload must behave the
		// same whether the console was started from ~ or from /tmp.
		dir = "/"
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("exec: dir %q is not absolute", r.Dir)
	}
	vars := map[string]string{}
	for _, k := range inheritedEnv {
		if v := env.getenv(k); v != "" {
			vars[k] = v
		}
	}
	if vars["PATH"] == "" {
		vars["PATH"] = defaultPath
	}
	for k, v := range r.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, fmt.Errorf("exec: env name %q is not a variable name", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, fmt.Errorf("exec: env %s holds a NUL byte", k)
		}
		vars[k] = v
	}
	e := &execReload{name: r.Name, argv: append([]string(nil), r.Exec...), path: vars["PATH"], dir: dir, timeout: r.Timeout}
	for k, v := range vars {
		e.env = append(e.env, k+"="+v)
	}
	sort.Strings(e.env)
	return e, nil
}

func (e *execReload) Name() string { return e.name }

func (e *execReload) Steps() []Step {
	return []Step{{
		Kind:   model.ReloadExec,
		Target: e.argv[0],
		Argv:   e.argv,
		Detail: fmt.Sprintf("run %s without a shell in %s, timeout %v", shellWords(e.argv), e.dir, e.timeout),
	}}
}

func (e *execReload) Run(ctx context.Context) ReloadResult {
	return runTimed(ctx, e.timeout, e.run)
}

func (e *execReload) run(ctx context.Context) ReloadResult {
	prog, err := lookPathIn(e.argv[0], e.path)
	if err != nil {
		return failed(fmt.Errorf("exec %s: %w", e.argv[0], err))
	}
	cmd := exec.CommandContext(ctx, prog, e.argv[1:]...)
	cmd.Args[0] = e.argv[0]
	cmd.Env = e.env
	cmd.Dir = e.dir
	// Stdin and stdout are /dev/null: a reload reads nothing and what it
	// says on stdout is not an error.
	stderr := newTailWriter(stderrTailBytes)
	cmd.Stderr = stderr
	// Its own process group, so a timeout ends the command and everything
	// it started (a shell script's sleep), and only that: the group's id
	// is the pid of the child this reload started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone // it finished just before the deadline
		}
		return err
	}
	cmd.WaitDelay = execWaitDelay
	err = cmd.Run()
	res := ReloadResult{ExitCode: -1, Output: stderr.String()}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	switch {
	case ctx.Err() != nil && (err != nil || res.ExitCode != 0):
		res.Err = fmt.Errorf("exec %s: %w; its process group was killed", shellWords(e.argv), ctxErr(ctx))
	case errors.Is(err, exec.ErrWaitDelay) && res.ExitCode == 0:
		// It succeeded; something it started kept stderr open.
	case err != nil && res.ExitCode > 0:
		res.Err = fmt.Errorf("exec %s: exit status %d", shellWords(e.argv), res.ExitCode)
	case err != nil:
		res.Err = fmt.Errorf("exec %s: %w", shellWords(e.argv), err)
	}
	return res
}

// lookPathIn finds a bare program name in path (the child's PATH, not
// certdeck's, so an `env: {PATH: …}` is honoured). Relative entries in
// PATH are skipped: "." would run whatever file the working directory
// holds.
func lookPathIn(prog, path string) (string, error) {
	if strings.ContainsRune(prog, '/') {
		return prog, nil
	}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, prog)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("not found in PATH %s", path)
}
