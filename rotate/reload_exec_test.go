package rotate

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/model"
)

// writeScript writes an executable /bin/sh script into dir.
func writeScript(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustReload(t testing.TB, r model.Reload, env ReloadEnv) Reload {
	t.Helper()
	rl, err := NewReload(r, env)
	if err != nil {
		t.Fatalf("NewReload: %v", err)
	}
	return rl
}

// mapEnv is a fake environment.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestExecReloadPassesArgvWithoutAShell(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := writeScript(t, dir, "args.sh", `for a in "$@"; do printf '%s\n--\n' "$a"; done > "$OUT"`+"\n")
	words := []string{"a b", "$HOME", "; touch " + filepath.Join(dir, "pwned"), "`id`", "'q'", "*"}
	rl := mustReload(t, model.Reload{Name: "x", Kind: model.ReloadExec, Exec: append([]string{script}, words...), Env: map[string]string{"OUT": out}}, ReloadEnv{Getenv: mapEnv(nil)})
	res := rl.Run(context.Background())
	if !res.OK() {
		t.Fatalf("run: %v (output %q)", res.Err, res.Output)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(data), "\n--\n"), "\n--\n")
	if !reflect.DeepEqual(got, words) {
		t.Errorf("the command received %q, want exactly %q", got, words)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("a ';' in an argument ran a second command: argv went through a shell")
	}
	if res.ExitCode != 0 {
		t.Errorf("exit code %d, want 0", res.ExitCode)
	}
}

func TestExecReloadStepsShowTheExactArgv(t *testing.T) {
	argv := []string{"/usr/sbin/nginx", "-p", "/srv/my site", "-s", "reload"}
	rl := mustReload(t, model.Reload{Name: "web", Kind: model.ReloadExec, Exec: argv, Timeout: 5 * time.Second}, ReloadEnv{Getenv: mapEnv(nil)})
	steps := rl.Steps()
	if len(steps) != 1 || !reflect.DeepEqual(steps[0].Argv, argv) || steps[0].Kind != model.ReloadExec {
		t.Fatalf("steps %+v, want one exec step with argv %q", steps, argv)
	}
	if want := `/usr/sbin/nginx -p '/srv/my site' -s reload`; !strings.Contains(steps[0].Detail, want) {
		t.Errorf("detail %q does not show the argv as %q", steps[0].Detail, want)
	}
}

func TestExecReloadFailureReportsExitStatusAndTheTailOfStderr(t *testing.T) {
	dir := t.TempDir()
	// 2,000 numbered lines on stderr, then a failure.
	script := writeScript(t, dir, "fail.sh", `i=0; while [ $i -lt 2000 ]; do echo "line $i of the noise" >&2; i=$((i+1)); done
echo "nginx: [emerg] cannot load certificate" >&2
echo "on stdout, not kept"
exit 3
`)
	rl := mustReload(t, model.Reload{Name: "x", Kind: model.ReloadExec, Exec: []string{script}}, ReloadEnv{Getenv: mapEnv(nil)})
	res := rl.Run(context.Background())
	if res.OK() {
		t.Fatal("a command exiting 3 was reported as a success")
	}
	if res.ExitCode != 3 || !strings.Contains(res.Err.Error(), "exit status 3") {
		t.Errorf("exit code %d, error %q: want 3 and the status named", res.ExitCode, res.Err)
	}
	if len(res.Output) > stderrTailBytes {
		t.Errorf("output is %d bytes, more than the %d-byte tail", len(res.Output), stderrTailBytes)
	}
	if !strings.HasSuffix(res.Output, "nginx: [emerg] cannot load certificate") {
		t.Errorf("output does not end with the last stderr line: …%q", res.Output[max(0, len(res.Output)-80):])
	}
	if !strings.HasPrefix(res.Output, "line ") {
		t.Errorf("output does not start on a whole line: %q…", res.Output[:40])
	}
	if strings.Contains(res.Output, "stdout") {
		t.Error("stdout was kept as if it were stderr")
	}
}

func TestExecReloadTimeoutKillsTheProcessGroupItStarted(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The script leaves a background child (what a careless reload script
	// does) and then hangs; both must be gone when Run returns.
	script := writeScript(t, dir, "hang.sh", `sleep 30 &
echo $! > "$PIDFILE"
echo "waiting" >&2
sleep 30
`)
	rl := mustReload(t, model.Reload{Name: "x", Kind: model.ReloadExec, Exec: []string{script}, Env: map[string]string{"PIDFILE": pidFile}, Timeout: 300 * time.Millisecond}, ReloadEnv{Getenv: mapEnv(nil)})
	start := time.Now()
	res := rl.Run(context.Background())
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Run took %v with a 300ms timeout", took)
	}
	if res.OK() || !strings.Contains(res.Err.Error(), "timed out after 300ms") {
		t.Fatalf("error %v, want a timeout naming 300ms", res.Err)
	}
	if res.Output != "waiting" {
		t.Errorf("output %q, want the stderr so far", res.Output)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	waitGone(t, pid)
}

func TestExecReloadDoesNotWaitForADaemonItStarted(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "daemon.pid")
	// `service x restart` style: the command exits 0 and leaves a child
	// that still holds its stderr.
	script := writeScript(t, dir, "start.sh", `sleep 20 &
echo $! > "$PIDFILE"
echo "started" >&2
`)
	rl := mustReload(t, model.Reload{Name: "x", Kind: model.ReloadExec, Exec: []string{script}, Env: map[string]string{"PIDFILE": pidFile}, Timeout: 10 * time.Second}, ReloadEnv{Getenv: mapEnv(nil)})
	res := rl.Run(context.Background())
	if data, err := os.ReadFile(pidFile); err == nil {
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(data))); pid > 1 {
			defer syscall.Kill(pid, syscall.SIGKILL) // the test's own daemon
		}
	}
	if !res.OK() || res.Output != "started" {
		t.Fatalf("err %v, output %q: want success with the stderr it wrote", res.Err, res.Output)
	}
	if res.Duration > execWaitDelay+time.Second {
		t.Errorf("Run took %v: it waited for the daemon, not for the command", res.Duration)
	}
}

// waitGone fails unless pid ends (or is a zombie) within 2 s.
func waitGone(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL) // ours: the test's script started it
	t.Errorf("the background child %d outlived the timeout", pid)
}

func TestExecReloadGetsAMinimalEnvironment(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	script := writeScript(t, dir, "env.sh", `env > "$OUT"; pwd >> "$OUT"`+"\n")
	env := mapEnv(map[string]string{
		"PATH": "/usr/bin:/bin", "HOME": "/home/op", "LANG": "C.UTF-8",
		"LB_TOKEN": "secret-of-another-reload", "SSH_AUTH_SOCK": "/tmp/agent.1", "AWS_SECRET_ACCESS_KEY": "x",
	})
	t.Setenv("CERTDECK_TEST_SECRET", "in certdeck's own environment")
	rl := mustReload(t, model.Reload{Name: "x", Kind: model.ReloadExec, Exec: []string{script}, Env: map[string]string{"OUT": out, "LANG": "de_DE.UTF-8"}}, ReloadEnv{Getenv: env})
	if res := rl.Run(context.Background()); !res.OK() {
		t.Fatal(res.Err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	for _, want := range []string{"PATH=/usr/bin:/bin\n", "HOME=/home/op\n", "LANG=de_DE.UTF-8\n", "OUT=" + out + "\n", "\n/\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the command's environment lacks %q:\n%s", want, got)
		}
	}
	for _, leak := range []string{"LB_TOKEN", "SSH_AUTH_SOCK", "AWS_SECRET_ACCESS_KEY", "CERTDECK_TEST_SECRET"} {
		if strings.Contains(got, leak) {
			t.Errorf("the command inherited %s from certdeck's environment", leak)
		}
	}
}

func TestExecReloadRunsInItsDirAndFindsItsProgramInItsPath(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	writeScript(t, bin, "my-reload", `pwd > "$OUT"`+"\n")
	out := filepath.Join(dir, "pwd")
	rl := mustReload(t, model.Reload{Name: "x", Kind: model.ReloadExec, Exec: []string{"my-reload"}, Dir: bin,
		Env: map[string]string{"OUT": out, "PATH": bin + ":/usr/bin:/bin"}}, ReloadEnv{Getenv: mapEnv(nil)})
	if res := rl.Run(context.Background()); !res.OK() {
		t.Fatal(res.Err)
	}
	if data, _ := os.ReadFile(out); strings.TrimSpace(string(data)) != bin {
		t.Errorf("ran in %q, want dir %s", data, bin)
	}
	missing := mustReload(t, model.Reload{Name: "x", Kind: model.ReloadExec, Exec: []string{"no-such-reload-tool"}}, ReloadEnv{Getenv: mapEnv(map[string]string{"PATH": "/usr/bin"})})
	res := missing.Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "not found in PATH /usr/bin") {
		t.Errorf("a missing program: %v, want it named with the PATH searched", res.Err)
	}
}

func TestNewReloadRefusesBadExecEntries(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    model.Reload
		want string
	}{
		{"empty argv", model.Reload{Exec: nil}, "empty argv"},
		{"relative path", model.Reload{Exec: []string{"bin/reload"}}, "relative path"},
		{"NUL", model.Reload{Exec: []string{"/bin/true", "a\x00b"}}, "NUL"},
		{"relative dir", model.Reload{Exec: []string{"/bin/true"}, Dir: "srv"}, "not absolute"},
		{"bad env name", model.Reload{Exec: []string{"/bin/true"}, Env: map[string]string{"A=B": "c"}}, "not a variable name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.Name, tc.r.Kind, tc.r.Line = "web", model.ReloadExec, 12
			_, err := NewReload(tc.r, ReloadEnv{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `reload "web" (line 12)`) {
				t.Errorf("error %v, want %q naming the reload and its line", err, tc.want)
			}
		})
	}
}

func TestTailWriterKeepsTheLastWholeLines(t *testing.T) {
	w := newTailWriter(16)
	for _, s := range []string{"first line\n", "second\n", "third\n", "fourth\n"} {
		w.Write([]byte(s))
	}
	if got := w.String(); got != "third\nfourth" {
		t.Errorf("tail %q, want %q", got, "third\nfourth")
	}
	w = newTailWriter(8)
	w.Write([]byte("one very long line without a break"))
	if got := w.String(); got != " a break" {
		t.Errorf("tail of one long line %q, want its last 8 bytes", got)
	}
}
