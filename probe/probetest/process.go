package probetest

import (
	"io"
	"os/exec"
	"syscall"
	"time"
)

// process is a server a test started (nginx, HAProxy, sshd): its command,
// and a channel closed once it has exited. The runners embed it, so each
// ends only the process it started, by that process's PID.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// start runs cmd with its output going to out.
func (p *process) start(cmd *exec.Cmd, out io.Writer) error {
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return nil
}

// running reports whether the process has not exited.
func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return p.exited != nil
	}
}

// stop sends sig (the server's own way to stop) to the process, then
// SIGKILL if it has not exited after 5 seconds. Idempotent.
func (p *process) stop(sig syscall.Signal) {
	if p.cmd == nil || p.cmd.Process == nil || !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}
