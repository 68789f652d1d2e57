package rotate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"certdeck/model"
)

// identityFileLimit caps an ssh identity file (an RSA-16384 key in
// OpenSSH format is under 13 KiB).
const identityFileLimit = 64 << 10

type sshReload struct {
	name       string
	host       string
	port       int
	user       string
	identity   string // private key file; "" means the agent at $SSH_AUTH_SOCK
	knownHosts string
	command    []string
	timeout    time.Duration
	getenv     func(string) string
}

func newSSHReload(r model.Reload, env ReloadEnv) (*sshReload, error) {
	c := r.SSH
	if c.Host == "" {
		return nil, errors.New("ssh: no host")
	}
	if strings.ContainsAny(c.Host, " \t\r\n/@\x00") {
		return nil, fmt.Errorf("ssh: host %q is not a host name or address", c.Host)
	}
	port := c.Port
	if port == 0 {
		port = 22
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("ssh: port %d is out of range", c.Port)
	}
	if len(r.Command) == 0 {
		return nil, errors.New("ssh: no command (the remote argv, e.g. [\"sudo\", \"systemctl\", \"reload\", \"nginx\"])")
	}
	for i, w := range r.Command {
		if strings.IndexByte(w, 0) >= 0 {
			return nil, fmt.Errorf("ssh: command word %d holds a NUL byte, which no remote shell can receive", i)
		}
	}
	login := c.User
	if login == "" {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("ssh: no user, and the current user is unknown: %w", err)
		}
		login = u.Username
	}
	kh := c.KnownHosts
	if kh == "" {
		home := env.getenv("HOME")
		if home == "" {
			return nil, errors.New("ssh: no known_hosts, and $HOME is not set to find ~/.ssh/known_hosts")
		}
		kh = filepath.Join(home, ".ssh", "known_hosts")
	}
	for what, p := range map[string]string{"identity": c.Identity, "known_hosts": kh} {
		if p != "" && !filepath.IsAbs(p) {
			return nil, fmt.Errorf("ssh: %s %q is not absolute", what, p)
		}
	}
	return &sshReload{
		name: r.Name, host: c.Host, port: port, user: login,
		identity: c.Identity, knownHosts: kh,
		command: append([]string(nil), r.Command...),
		timeout: r.Timeout, getenv: env.getenv,
	}, nil
}

func (s *sshReload) Name() string { return s.name }

func (s *sshReload) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

func (s *sshReload) target() string { return s.user + "@" + s.addr() }

func (s *sshReload) Steps() []Step {
	auth := "ssh-agent ($SSH_AUTH_SOCK)"
	if s.identity != "" {
		auth = "key " + s.identity
	}
	return []Step{{
		Kind:   model.ReloadSSH,
		Target: s.target(),
		Argv:   s.command,
		Detail: fmt.Sprintf("ssh %s (%s; host key checked against %s), timeout %v; the remote shell runs: %s",
			s.target(), auth, s.knownHosts, s.timeout, remoteCommandShown(s.command)),
	}}
}

func (s *sshReload) Run(ctx context.Context) ReloadResult {
	return runTimed(ctx, s.timeout, s.run)
}

func (s *sshReload) run(ctx context.Context) ReloadResult {
	fail := func(err error) ReloadResult { return failed(fmt.Errorf("ssh %s: %w", s.target(), err)) }
	hostKeys, err := loadKnownHosts(s.knownHosts)
	if err != nil {
		return fail(err)
	}
	auth, closeAuth, err := s.authMethod(ctx)
	if err != nil {
		return fail(err)
	}
	defer closeAuth()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr())
	if err != nil {
		return fail(fmt.Errorf("connect: %w", netErr(ctx, err)))
	}
	// One deadline for the handshake and the command, and a close on
	// cancel: a server that accepts and then says nothing cannot hold the
	// reload past its timeout.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	check := hostKeys.callback(s.addr(), s.knownHosts)
	cfg := &ssh.ClientConfig{
		User:            s.user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: check.verify,
		// Ask only for the key types known_hosts lists for this host: a
		// server holding ed25519 and ecdsa keys presents ecdsa by default,
		// and a known_hosts with only its ed25519 key would then read as
		// a changed key (REAL-SERVERS.md).
		HostKeyAlgorithms: hostKeys.algorithmsFor(s.addr()),
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, s.addr(), cfg)
	if err != nil {
		switch {
		case check.refused != nil:
			return fail(check.refused)
		case netErr(ctx, err) != err:
			return fail(fmt.Errorf("handshake: %w", netErr(ctx, err)))
		case strings.Contains(err.Error(), "unable to authenticate"):
			return fail(fmt.Errorf("authentication refused for user %s with %s: is its public key in that user's authorized_keys? (%v)", s.user, s.authName(), err))
		}
		return fail(fmt.Errorf("handshake: %w", err))
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	// From here the command phase is bounded below, and it needs the
	// connection alive at its deadline to deliver the kill: lift the
	// connection's deadline and the close-on-cancel.
	if !stop() {
		return fail(fmt.Errorf("handshake: %w", ctxErr(ctx)))
	}
	_ = conn.SetDeadline(time.Time{})
	return s.runCommand(ctx, client)
}

// killReserve is the part of the reload's timeout kept for ending a
// command that overran: the SIGKILL request and sshd's answer.
func killReserve(timeout time.Duration) time.Duration {
	return min(500*time.Millisecond, timeout/4)
}

// runCommand runs the remote command until it exits or ctx is nearly
// done; then it asks sshd to SIGKILL it (OpenSSH killpg()s the session's
// process group) and closes the connection at ctx's end at the latest.
func (s *sshReload) runCommand(ctx context.Context, client *ssh.Client) ReloadResult {
	cmdCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		cmdCtx, cancel = context.WithDeadlineCause(ctx, dl.Add(-killReserve(s.timeout)), reloadTimeout(s.timeout))
		defer cancel()
	}
	stderr := newTailWriter(stderrTailBytes)
	line := remoteCommand(s.command)
	opened := make(chan *ssh.Session, 1)
	done := make(chan error, 1)
	go func() {
		sess, err := client.NewSession()
		if err != nil {
			done <- fmt.Errorf("open session: %w", err)
			return
		}
		defer sess.Close()
		sess.Stdout, sess.Stderr = io.Discard, stderr
		opened <- sess
		done <- sess.Run(line)
	}()
	var err error
	select {
	case err = <-done:
	case <-cmdCtx.Done():
		killed := false
		select {
		case sess := <-opened:
			_ = sess.Signal(ssh.SIGKILL)
			select {
			case err := <-done: // sshd reported how the command ended
				done <- err
				var exitErr *ssh.ExitError
				killed = errors.As(err, &exitErr) && exitErr.Signal() == string(ssh.SIGKILL)
			case <-ctx.Done():
			}
		default:
		}
		client.Close()
		<-done
		fate := "sshd killed it (SIGKILL)"
		if !killed {
			// OpenSSH refuses signal requests in sessions without a
			// privilege-separated child, which is every root login.
			fate = "sent SIGKILL, but sshd did not confirm it ended (OpenSSH ignores signals for root logins): it may still be running on " + s.host
		}
		res := failed(fmt.Errorf("ssh %s: command %s: %w; %s", s.target(), shellWords(s.command), ctxErr(cmdCtx), fate))
		res.Output = stderr.String()
		return res
	}
	res := ReloadResult{ExitCode: 0, Output: stderr.String()}
	var exitErr *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.Signal() != "":
		res.ExitCode = -1
		res.Err = fmt.Errorf("ssh %s: command %s: killed by SIG%s", s.target(), shellWords(s.command), exitErr.Signal())
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitStatus()
		res.Err = fmt.Errorf("ssh %s: command %s: exit status %d", s.target(), shellWords(s.command), res.ExitCode)
	default:
		res.ExitCode = -1
		res.Err = fmt.Errorf("ssh %s: command %s: %w", s.target(), shellWords(s.command), err)
	}
	return res
}

func (s *sshReload) authName() string {
	if s.identity != "" {
		return "the key in " + s.identity
	}
	return "the keys of ssh-agent"
}

// authMethod is the identity file's key, or the agent's keys. The
// returned func releases the agent connection.
func (s *sshReload) authMethod(ctx context.Context) (ssh.AuthMethod, func(), error) {
	if s.identity != "" {
		signer, err := readIdentity(s.identity)
		if err != nil {
			return nil, nil, err
		}
		return ssh.PublicKeys(signer), func() {}, nil
	}
	sock := s.getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, nil, errors.New("no identity: is configured and $SSH_AUTH_SOCK is not set (start ssh-agent and ssh-add a key, or set identity:)")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, nil, fmt.Errorf("ssh-agent at $SSH_AUTH_SOCK: %w", err)
	}
	return ssh.PublicKeysCallback(agent.NewClient(conn).Signers), func() { conn.Close() }, nil
}

// readIdentity reads a passphrase-less private key. certdeck runs
// unattended (deploy hooks, the console's key press) and never prompts: a
// key with a passphrase belongs in ssh-agent. Like ssh, it refuses a key
// file others may read. The key's bytes never appear in an error.
func readIdentity(path string) (ssh.Signer, error) {
	f, err := model.OpenRegularFile(path, "ssh identity")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("identity %s is readable by group or others (mode %04o): ssh refuses such keys and so does certdeck (chmod 600 %s)", path, fi.Mode().Perm(), path)
	}
	data, err := model.ReadCapped(f, path, "ssh identity", identityFileLimit)
	if err != nil {
		return nil, err
	}
	defer clear(data)
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, fmt.Errorf("identity %s is protected by a passphrase, and certdeck never prompts: load it into ssh-agent (ssh-add %s) and remove identity: from the reload, so the agent's keys are used", path, path)
	case err != nil:
		return nil, fmt.Errorf("identity %s: not a private key ssh can use: %w", path, err)
	}
	return signer, nil
}
