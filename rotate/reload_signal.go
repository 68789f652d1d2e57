package rotate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"certdeck/model"
)

// reloadSignals are the signals a `signal:` reload may send, by name:
// the ones servers use to reload, re-open logs or stop gracefully (nginx:
// HUP reload, USR1 reopen, USR2 upgrade, WINCH/QUIT graceful stop; HAProxy's
// master: USR2 reload; TTOU/TTIN pause and resume listeners). KILL and
// STOP cannot be handled, so they never make a server reload.
var reloadSignals = map[string]syscall.Signal{
	"HUP":   syscall.SIGHUP,
	"INT":   syscall.SIGINT,
	"QUIT":  syscall.SIGQUIT,
	"USR1":  syscall.SIGUSR1,
	"USR2":  syscall.SIGUSR2,
	"TERM":  syscall.SIGTERM,
	"WINCH": syscall.SIGWINCH,
	"ALRM":  syscall.SIGALRM,
	"CONT":  syscall.SIGCONT,
	"TTIN":  syscall.SIGTTIN,
	"TTOU":  syscall.SIGTTOU,
}

// pidFileLimit caps a pid file: a pid and a newline.
const pidFileLimit = 64

type signalReload struct {
	name    string
	sigName string // "HUP"
	sig     syscall.Signal
	pidFile string
	timeout time.Duration
}

func newSignalReload(r model.Reload) (*signalReload, error) {
	name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(r.Signal)), "SIG")
	sig, ok := reloadSignals[name]
	if !ok {
		return nil, fmt.Errorf("signal %q is not a reload signal (want one of %s)", r.Signal, strings.Join(signalNames(), ", "))
	}
	if r.PIDFile == "" {
		return nil, errors.New("signal: no pidfile")
	}
	if !filepath.IsAbs(r.PIDFile) {
		return nil, fmt.Errorf("signal: pidfile %q is not absolute", r.PIDFile)
	}
	return &signalReload{name: r.Name, sigName: name, sig: sig, pidFile: r.PIDFile, timeout: r.Timeout}, nil
}

func signalNames() []string {
	names := make([]string, 0, len(reloadSignals))
	for n := range reloadSignals {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *signalReload) Name() string { return s.name }

func (s *signalReload) Steps() []Step {
	return []Step{{
		Kind:   model.ReloadSignal,
		Target: s.pidFile,
		Detail: fmt.Sprintf("SIG%s to the pid in %s", s.sigName, s.pidFile),
	}}
}

func (s *signalReload) Run(ctx context.Context) ReloadResult {
	return runTimed(ctx, s.timeout, func(ctx context.Context) ReloadResult {
		if ctx.Err() != nil {
			return failed(fmt.Errorf("signal %s: %w", s.sigName, ctxErr(ctx)))
		}
		pid, err := readPIDFile(s.pidFile)
		if err != nil {
			return failed(err)
		}
		if err := syscall.Kill(pid, s.sig); err != nil {
			return failed(fmt.Errorf("send SIG%s to pid %d (from %s): %w", s.sigName, pid, s.pidFile, err))
		}
		return ReloadResult{ExitCode: -1, Output: fmt.Sprintf("sent SIG%s to pid %d", s.sigName, pid)}
	})
}

// readPIDFile reads and checks the pid a signal reload will signal.
// certdeck usually runs as root, and kill(2) as root reaches every
// process: a pid file someone else could write would let them make
// certdeck signal any process on the machine (TERM to sshd, HUP to a
// database). So the file must belong to root or to the user certdeck runs
// as, and be writable by neither group nor others, the rule sshd's
// StrictModes applies; the pid must be > 1 (0 and -1 mean "my group" and
// "every process" to kill(2), 1 is init) and a live process. The pid file
// itself must not be a symlink (O_NOFOLLOW): a link would make those
// owner and mode checks judge whatever file it names (a root-owned file
// holding a pid of the linker's choosing).
func readPIDFile(path string) (int, error) {
	f, err := model.OpenRegularFileNoFollow(path, "pid file")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("read pid file %s: %w", path, err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := int(st.Uid); uid != 0 && uid != os.Geteuid() {
			return 0, fmt.Errorf("pid file %s belongs to uid %d, neither root nor the user certdeck runs as: refusing it, since whoever writes it chooses which process certdeck signals (chown root %s)", path, uid, path)
		}
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return 0, fmt.Errorf("pid file %s is writable by group or others (mode %04o): refusing it, since whoever writes it chooses which process certdeck signals (chmod go-w %s)", path, perm, path)
	}
	data, err := model.ReadCapped(f, path, "pid file", pidFileLimit)
	if err != nil {
		return 0, err
	}
	text := strings.TrimSpace(string(data))
	pid, err := strconv.Atoi(text)
	if err != nil || strings.ContainsAny(text, "+-") {
		return 0, fmt.Errorf("pid file %s does not hold a process id (%q)", path, truncateForError(text, 20))
	}
	if pid <= 1 {
		return 0, fmt.Errorf("pid file %s holds pid %d: refusing to signal it (only a server's own pid > 1)", path, pid)
	}
	switch err := syscall.Kill(pid, 0); {
	case errors.Is(err, syscall.ESRCH):
		return 0, fmt.Errorf("pid file %s holds pid %d, which is not running (a stale pid file: is the server up?)", path, pid)
	case err != nil:
		return 0, fmt.Errorf("pid file %s holds pid %d: %w", path, pid, err)
	}
	return pid, nil
}

// truncateForError shortens a string an error quotes.
func truncateForError(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
