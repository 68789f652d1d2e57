package rotate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/model"
)

// hupCounter is a child process the test starts: it appends a line to
// its log for every SIGHUP and SIGUSR1 it gets, writes its pid file, and
// exits by itself after 20 s if the test forgets it.
type hupCounter struct {
	cmd     *exec.Cmd
	log     string
	pidFile string
}

func startHUPCounter(t *testing.T) *hupCounter {
	t.Helper()
	dir := t.TempDir()
	h := &hupCounter{log: filepath.Join(dir, "signals"), pidFile: filepath.Join(dir, "server.pid")}
	script := writeScript(t, dir, "server.sh", `trap 'echo HUP >> "$LOG"' HUP
trap 'echo USR1 >> "$LOG"' USR1
: > "$LOG"
echo $$ > "$PIDFILE.tmp" && mv "$PIDFILE.tmp" "$PIDFILE"
i=0; while [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
`)
	h.cmd = exec.Command(script)
	h.cmd.Env = []string{"LOG=" + h.log, "PIDFILE=" + h.pidFile, "PATH=/usr/bin:/bin"}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.cmd.Process.Kill(); _ = h.cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(h.pidFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the test server never wrote its pid file")
		}
	}
	return h
}

// signals waits briefly for n lines in the log and returns them.
func (h *hupCounter) signals(n int) []string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		data, _ := os.ReadFile(h.log)
		lines := strings.Fields(string(data))
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func signalReloadFor(t *testing.T, sig, pidFile string) Reload {
	t.Helper()
	return mustReload(t, model.Reload{Name: "hup", Kind: model.ReloadSignal, Signal: sig, PIDFile: pidFile}, ReloadEnv{})
}

func TestSignalReloadSendsTheNamedSignalToThePidInThePidFile(t *testing.T) {
	h := startHUPCounter(t)
	for _, sig := range []string{"HUP", "SIGUSR1"} {
		res := signalReloadFor(t, sig, h.pidFile).Run(context.Background())
		if !res.OK() {
			t.Fatalf("%s: %v", sig, res.Err)
		}
		if want := "pid " + strconv.Itoa(h.cmd.Process.Pid); !strings.Contains(res.Output, want) {
			t.Errorf("output %q does not name %s", res.Output, want)
		}
	}
	if got := h.signals(2); strings.Join(got, " ") != "HUP USR1" {
		t.Errorf("the server got %q, want HUP then USR1", got)
	}
	steps := signalReloadFor(t, "hup", h.pidFile).Steps()
	if len(steps) != 1 || steps[0].Target != h.pidFile || !strings.Contains(steps[0].Detail, "SIGHUP to the pid in "+h.pidFile) {
		t.Errorf("steps %+v", steps)
	}
}

func TestSignalReloadRefusesAPidFileOthersCouldHavePlanted(t *testing.T) {
	h := startHUPCounter(t)
	for _, tc := range []struct {
		name  string
		setup func(path string) error
		want  string
	}{
		{"writable by others", func(p string) error { return os.Chmod(p, 0o666) }, "writable by group or others (mode 0666)"},
		{"writable by group", func(p string) error { return os.Chmod(p, 0o664) }, "writable by group or others (mode 0664)"},
		{"owned by another user", func(p string) error {
			if os.Geteuid() != 0 {
				t.Skip("chown to another user needs root")
			}
			return os.Chown(p, 65534, 65534)
		}, "belongs to uid 65534"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			planted := filepath.Join(t.TempDir(), "planted.pid")
			if err := os.WriteFile(planted, []byte(strconv.Itoa(h.cmd.Process.Pid)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := tc.setup(planted); err != nil {
				t.Fatal(err)
			}
			res := signalReloadFor(t, "HUP", planted).Run(context.Background())
			if res.OK() || !strings.Contains(res.Err.Error(), tc.want) || !strings.Contains(res.Err.Error(), "chooses which process certdeck signals") {
				t.Errorf("error %v, want %q and why it matters", res.Err, tc.want)
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // the trap runs between the script's 0.1 s sleeps
	if got := h.signals(0); len(got) != 0 {
		t.Errorf("a refused pid file still signalled the process: %q", got)
	}
}

func TestSignalReloadRefusesPidsItMustNotSignal(t *testing.T) {
	exited := exec.Command("/bin/true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		content, want string
	}{
		{"1\n", "holds pid 1: refusing"},
		{"0", "holds pid 0: refusing"},
		{"-1", "does not hold a process id"},
		{"+5", "does not hold a process id"},
		{"", "does not hold a process id"},
		{"12 34", "does not hold a process id"},
		{"nginx", "does not hold a process id"},
		{strconv.Itoa(exited.Process.Pid), "not running (a stale pid file"},
	} {
		p := filepath.Join(t.TempDir(), "x.pid")
		if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		res := signalReloadFor(t, "HUP", p).Run(context.Background())
		if res.OK() || !strings.Contains(res.Err.Error(), tc.want) {
			t.Errorf("pid file %q: %v, want %q", tc.content, res.Err, tc.want)
		}
	}
	fifo := filepath.Join(t.TempDir(), "fifo.pid")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := signalReloadFor(t, "HUP", fifo).Run(context.Background()); res.OK() || !strings.Contains(res.Err.Error(), "FIFO") {
		t.Errorf("a FIFO pid file: %v", res.Err)
	}
}

func TestNewReloadRefusesUnknownSignalsAtResolveTime(t *testing.T) {
	for _, sig := range []string{"KILL", "STOP", "FOO", "9", ""} {
		_, err := NewReload(model.Reload{Name: "s", Kind: model.ReloadSignal, Signal: sig, PIDFile: "/run/x.pid"}, ReloadEnv{})
		if err == nil || !strings.Contains(err.Error(), "is not a reload signal") || !strings.Contains(err.Error(), "HUP") {
			t.Errorf("signal %q: %v, want a refusal listing the reload signals", sig, err)
		}
	}
	if _, err := NewReload(model.Reload{Name: "s", Kind: model.ReloadSignal, Signal: "HUP", PIDFile: "run/x.pid"}, ReloadEnv{}); err == nil {
		t.Error("a relative pid file was accepted")
	}
}
