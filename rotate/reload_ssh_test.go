package rotate

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"certdeck/model"
	"certdeck/probe/probetest"
)

// sshFixture is a fake server, a client key it accepts and a known_hosts
// that lists the server's ed25519 key.
type sshFixture struct {
	srv        *fakeSSHD
	hostKey    ssh.Signer
	clientKey  ed25519.PrivateKey
	identity   string
	knownHosts string
}

func newSSHFixture(t *testing.T) *sshFixture {
	t.Helper()
	_, ck, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clientPub, _ := ssh.NewPublicKey(ck.Public())
	hk := newSigner(t, "ed25519")
	f := &sshFixture{hostKey: hk, clientKey: ck}
	f.srv = startFakeSSHD(t, clientPub, hk)
	f.identity = writeIdentity(t, ck, "")
	f.knownHosts = writeKnownHosts(t, f.srv.addr, hk.PublicKey())
	return f
}

func (f *sshFixture) reload(t *testing.T, command []string, timeout time.Duration) Reload {
	t.Helper()
	return mustReload(t, model.Reload{
		Name: "edge", Kind: model.ReloadSSH, Timeout: timeout, Command: command,
		SSH: model.SSHConfig{Host: "127.0.0.1", Port: f.srv.port(), User: "deploy", Identity: f.identity, KnownHosts: f.knownHosts},
	}, ReloadEnv{Getenv: mapEnv(nil)})
}

func TestSSHReloadRunsTheQuotedCommand(t *testing.T) {
	f := newSSHFixture(t)
	argv := []string{"sudo", "systemctl", "reload", "nginx; rm -rf /", "it's $HOME"}
	rl := f.reload(t, argv, 5*time.Second)
	res := rl.Run(context.Background())
	if !res.OK() {
		t.Fatalf("run: %v", res.Err)
	}
	if got, want := f.srv.ran(), []string{remoteCommand(argv)}; !reflect.DeepEqual(got, want) {
		t.Errorf("the server ran %q, want %q", got, want)
	}
	steps := rl.Steps()
	if len(steps) != 1 || !reflect.DeepEqual(steps[0].Argv, argv) || steps[0].Target != "deploy@"+f.srv.addr ||
		!strings.Contains(steps[0].Detail, remoteCommand(argv)) || !strings.Contains(steps[0].Detail, f.knownHosts) {
		t.Errorf("steps %+v do not show the target, argv, remote line and known_hosts", steps)
	}
}

func TestSSHReloadFailureReportsExitStatusAndStderr(t *testing.T) {
	f := newSSHFixture(t)
	f.srv.reply = func(string) (string, uint32, time.Duration) {
		return strings.Repeat("noise\n", 2000) + "Job for nginx.service failed.\n", 1, 0
	}
	res := f.reload(t, []string{"systemctl", "reload", "nginx"}, 5*time.Second).Run(context.Background())
	if res.OK() || res.ExitCode != 1 || !strings.Contains(res.Err.Error(), "exit status 1") {
		t.Fatalf("exit %d, err %v: want status 1", res.ExitCode, res.Err)
	}
	if len(res.Output) > stderrTailBytes || !strings.HasSuffix(res.Output, "Job for nginx.service failed.") || !strings.HasPrefix(res.Output, "noise\n") {
		t.Errorf("output (%d bytes) is not the whole-line tail of stderr", len(res.Output))
	}
}

func TestSSHReloadRefusesAnUnknownHostKeyShowingItsFingerprintAndLine(t *testing.T) {
	f := newSSHFixture(t)
	f.knownHosts = writeKnownHosts(t, "elsewhere.example:22", newSigner(t, "ed25519").PublicKey())
	res := f.reload(t, []string{"true"}, 5*time.Second).Run(context.Background())
	if res.OK() {
		t.Fatal("an unknown host key was accepted")
	}
	msg := res.Err.Error()
	fp := ssh.FingerprintSHA256(f.hostKey.PublicKey())
	line := "[127.0.0.1]:" + f.srv.addr[strings.LastIndexByte(f.srv.addr, ':')+1:] + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(f.hostKey.PublicKey())))
	for _, want := range []string{"host key not known", "ssh-ed25519 " + fp, "add this line to " + f.knownHosts + ": " + line} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal lacks %q:\n%s", want, msg)
		}
	}
	if ran := f.srv.ran(); len(ran) != 0 {
		t.Errorf("the command ran on a host whose key is unknown: %q", ran)
	}
}

func TestSSHReloadRefusesAChangedHostKey(t *testing.T) {
	f := newSSHFixture(t)
	old := newSigner(t, "ed25519").PublicKey()
	f.knownHosts = writeKnownHosts(t, f.srv.addr, old)
	res := f.reload(t, []string{"true"}, 5*time.Second).Run(context.Background())
	if res.OK() {
		t.Fatal("a changed host key was accepted")
	}
	msg := res.Err.Error()
	for _, want := range []string{"HOST KEY CHANGED", ssh.FingerprintSHA256(f.hostKey.PublicKey()), ssh.FingerprintSHA256(old), f.knownHosts + ":2", "[127.0.0.1]:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal lacks %q:\n%s", want, msg)
		}
	}
	if ran := f.srv.ran(); len(ran) != 0 {
		t.Errorf("the command ran on a host whose key changed: %q", ran)
	}
}

func TestSSHReloadAsksOnlyForHostKeyTypesKnownHostsLists(t *testing.T) {
	// The server holds ecdsa and ed25519 keys; x/crypto prefers ecdsa,
	// known_hosts lists only the ed25519 one.
	_, ck, _ := ed25519.GenerateKey(rand.Reader)
	clientPub, _ := ssh.NewPublicKey(ck.Public())
	ed, ec := newSigner(t, "ed25519"), newSigner(t, "ecdsa")
	srv := startFakeSSHD(t, clientPub, ec, ed)
	rl := mustReload(t, model.Reload{Name: "edge", Kind: model.ReloadSSH, Timeout: 5 * time.Second, Command: []string{"true"},
		SSH: model.SSHConfig{Host: "127.0.0.1", Port: srv.port(), User: "deploy", Identity: writeIdentity(t, ck, ""), KnownHosts: writeKnownHosts(t, srv.addr, ed.PublicKey())}},
		ReloadEnv{Getenv: mapEnv(nil)})
	if res := rl.Run(context.Background()); !res.OK() {
		t.Fatalf("known_hosts lists the server's ed25519 key, yet: %v", res.Err)
	}
}

func TestSSHReloadRefusedAuthIsAClearErrorWithinTheTimeout(t *testing.T) {
	f := newSSHFixture(t)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	f.identity = writeIdentity(t, other, "")
	start := time.Now()
	res := f.reload(t, []string{"true"}, 3*time.Second).Run(context.Background())
	if time.Since(start) > 3*time.Second+time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if res.OK() || !strings.Contains(res.Err.Error(), "authentication refused for user deploy with the key in "+f.identity) {
		t.Errorf("error %v, want a refused authentication naming the user and key", res.Err)
	}
}

func TestSSHReloadEndsWithinItsTimeout(t *testing.T) {
	f := newSSHFixture(t)
	silent := probetest.Silent(t) // accepts and never speaks
	for _, tc := range []struct {
		name string
		rl   Reload
		want string
	}{
		{"refused port", mustReload(t, model.Reload{Name: "e", Kind: model.ReloadSSH, Timeout: 2 * time.Second, Command: []string{"true"},
			SSH: model.SSHConfig{Host: "127.0.0.1", Port: portOf(t, probetest.RefusedAddr(t)), User: "u", Identity: f.identity, KnownHosts: f.knownHosts}}, ReloadEnv{}),
			"connection refused"},
		{"server that never speaks", mustReload(t, model.Reload{Name: "e", Kind: model.ReloadSSH, Timeout: 500 * time.Millisecond, Command: []string{"true"},
			SSH: model.SSHConfig{Host: "127.0.0.1", Port: portOf(t, silent.Addr), User: "u", Identity: f.identity, KnownHosts: f.knownHosts}}, ReloadEnv{}),
			"handshake: timed out after 500ms"},
		// 2 s, not 500 ms: the handshake with the in-process server must
		// finish inside the timeout even under -race on a loaded machine,
		// or this case would test the handshake deadline again.
		{"command past the timeout", func() Reload {
			f.srv.reply = func(string) (string, uint32, time.Duration) { return "", 0, time.Minute }
			return f.reload(t, []string{"sleep", "60"}, 2*time.Second)
		}(), "timed out after 2s (the reload's timeout); sshd killed it (SIGKILL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := tc.rl.Run(context.Background())
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if res.OK() || !strings.Contains(res.Err.Error(), tc.want) {
				t.Errorf("error %v, want %q", res.Err, tc.want)
			}
		})
	}
}

func TestSSHReloadStopsWhenTheCallerCancels(t *testing.T) {
	f := newSSHFixture(t)
	silent := probetest.Silent(t)
	rl := mustReload(t, model.Reload{Name: "e", Kind: model.ReloadSSH, Timeout: time.Minute, Command: []string{"true"},
		SSH: model.SSHConfig{Host: "127.0.0.1", Port: portOf(t, silent.Addr), User: "u", Identity: f.identity, KnownHosts: f.knownHosts}}, ReloadEnv{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel) // the console quitting
	start := time.Now()
	res := rl.Run(ctx)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v after a cancel at 200ms", took)
	}
	if res.OK() || !strings.Contains(res.Err.Error(), "cancelled") {
		t.Errorf("error %v, want it cancelled", res.Err)
	}
}

func TestSSHReloadSaysWhenAnOverrunCommandMayStillRun(t *testing.T) {
	f := newSSHFixture(t)
	f.srv.ignoreSignals = true
	f.srv.reply = func(string) (string, uint32, time.Duration) { return "", 0, time.Minute }
	start := time.Now()
	res := f.reload(t, []string{"sleep", "60"}, 400*time.Millisecond).Run(context.Background())
	if took := time.Since(start); took > 400*time.Millisecond+500*time.Millisecond {
		t.Errorf("took %v with a 400ms timeout", took)
	}
	if res.OK() || !strings.Contains(res.Err.Error(), "sshd did not confirm it ended") || !strings.Contains(res.Err.Error(), "may still be running on 127.0.0.1") {
		t.Errorf("error %v, want it said that the command may still run", res.Err)
	}
}

func portOf(t testing.TB, addr string) int {
	t.Helper()
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return tcp.Port
}

func TestSSHReloadNeverPromptsForAPassphrase(t *testing.T) {
	f := newSSHFixture(t)
	f.identity = writeIdentity(t, f.clientKey, "correct horse")
	res := f.reload(t, []string{"true"}, 2*time.Second).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "protected by a passphrase") || !strings.Contains(res.Err.Error(), "ssh-add "+f.identity) {
		t.Errorf("error %v, want the passphrase named and ssh-agent suggested", res.Err)
	}
	loose := writeIdentity(t, f.clientKey, "")
	if err := os.Chmod(loose, 0o640); err != nil {
		t.Fatal(err)
	}
	f.identity = loose
	if res := f.reload(t, []string{"true"}, 2*time.Second).Run(context.Background()); res.OK() || !strings.Contains(res.Err.Error(), "chmod 600") {
		t.Errorf("a group-readable identity: %v", res.Err)
	}
}

func TestSSHReloadUsesTheAgentWithoutAnIdentity(t *testing.T) {
	f := newSSHFixture(t)
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: f.clientKey}); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "certdeck-agent-") // short: sun_path is 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = agent.ServeAgent(keyring, c) }()
		}
	}()
	r := model.Reload{Name: "edge", Kind: model.ReloadSSH, Timeout: 5 * time.Second, Command: []string{"true"},
		SSH: model.SSHConfig{Host: "127.0.0.1", Port: f.srv.port(), User: "deploy", KnownHosts: f.knownHosts}}
	if res := mustReload(t, r, ReloadEnv{Getenv: mapEnv(map[string]string{"SSH_AUTH_SOCK": sock})}).Run(context.Background()); !res.OK() {
		t.Fatalf("with the agent: %v", res.Err)
	}
	res := mustReload(t, r, ReloadEnv{Getenv: mapEnv(nil)}).Run(context.Background())
	if res.OK() || !strings.Contains(res.Err.Error(), "$SSH_AUTH_SOCK is not set") {
		t.Errorf("no identity and no agent: %v", res.Err)
	}
}

func TestNewReloadRefusesBadSSHEntries(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    model.Reload
		want string
	}{
		{"no host", model.Reload{Command: []string{"x"}}, "no host"},
		{"host with a space", model.Reload{SSH: model.SSHConfig{Host: "a b"}, Command: []string{"x"}}, "not a host name"},
		{"no command", model.Reload{SSH: model.SSHConfig{Host: "h"}}, "no command"},
		{"NUL in command", model.Reload{SSH: model.SSHConfig{Host: "h"}, Command: []string{"a\x00"}}, "NUL"},
		{"bad port", model.Reload{SSH: model.SSHConfig{Host: "h", Port: 70000}, Command: []string{"x"}}, "out of range"},
		{"relative identity", model.Reload{SSH: model.SSHConfig{Host: "h", Identity: "id", KnownHosts: "/k"}, Command: []string{"x"}}, "not absolute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.Name, tc.r.Kind = "edge", model.ReloadSSH
			if _, err := NewReload(tc.r, ReloadEnv{Getenv: mapEnv(map[string]string{"HOME": "/root"})}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
