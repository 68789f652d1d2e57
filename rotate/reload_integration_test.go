package rotate_test

// Reload kinds against the real servers installed here (REAL-SERVERS.md):
// nginx reloaded by exec and by signal, sshd running the remote command,
// HAProxy swapping a certificate over its runtime API. Each proves by a
// TLS handshake (certdeck's own probe) what the server serves afterwards.
// A missing server skips, or fails under CERTDECK_INTEGRATION=1.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/probe/probetest"
	"certdeck/rotate"
)

var itRoot = pki.Must(pki.NewCA("certdeck reload test root"))
var itInter = pki.Must(itRoot.Intermediate("certdeck reload test intermediate"))

func itLeaf(t testing.TB) *pki.Leaf {
	t.Helper()
	l, err := itInter.Issue(pki.Options{DNSNames: []string{"web.test"}, NotBefore: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func serialOf(l *pki.Leaf) string { return model.SerialHex(l.Cert.SerialNumber) }

// served is the leaf serial addr presents to a fresh handshake.
func served(t testing.TB, addr string) (string, error) {
	t.Helper()
	target, err := model.ParseTarget(addr)
	if err != nil {
		t.Fatal(err)
	}
	o := probe.ProbeEndpoint(context.Background(), model.Endpoint{Name: "it", Address: addr, Target: target, SNI: "web.test"},
		probe.ProbeOptions{Timeout: 2 * time.Second, Roots: itRoot.Pool(), NoResume: true})
	if o.Failed() {
		return "", fmt.Errorf("%s: %s", o.ErrKind, o.Error)
	}
	return o.Leaf().Serial, nil
}

// waitServed probes addr until it serves want (10 s at most) and returns
// how long that took.
func waitServed(t testing.TB, addr, want string) time.Duration {
	t.Helper()
	start := time.Now()
	var got string
	var err error
	for time.Since(start) < 10*time.Second {
		if got, err = served(t, addr); err == nil && got == want {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s still serves %s (err %v) 10s after the reload, want %s", addr, got, err, want)
	return 0
}

func mustNew(t testing.TB, r model.Reload, env rotate.ReloadEnv) rotate.Reload {
	t.Helper()
	rl, err := rotate.NewReload(r, env)
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

func TestNginxServesTheStoresNewVersionAfterAnExecOrSignalReload(t *testing.T) {
	store := &rotate.Store{Dir: filepath.Join(t.TempDir(), "store"), AuditLog: "-", Roots: itRoot.Pool()}
	var last *pki.Leaf // the store's current version
	publish := func(l *pki.Leaf) {
		t.Helper()
		last = l
		if _, err := store.Publish(context.Background(), "web", rotate.Inputs{Fullchain: l.FullchainPEM(), Key: l.KeyPEM(), Source: "test"}); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	first := itLeaf(t)
	publish(first)
	n := probetest.StartNginx(t, probetest.NginxSite{FullchainPEM: first.FullchainPEM(), KeyPEM: first.KeyPEM()})
	srv := n.Servers[0]
	// nginx's ssl_certificate and ssl_certificate_key now name the store's
	// current/fullchain.pem and current/privkey.pem (through a link, as an
	// operator's config would name them directly).
	bundle := filepath.Join(store.Dir, "web", rotate.CurrentLink)
	for file, inStore := range map[string]string{srv.CertFile: "fullchain.pem", srv.KeyFile: "privkey.pem"} {
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(bundle, inStore), file); err != nil {
			t.Fatal(err)
		}
	}
	waitServed(t, srv.Addr, serialOf(first))
	nginx := probetest.RequireBinary(t, "nginx")
	pidFile := filepath.Join(n.Dir, "nginx.pid")

	t.Run("exec", func(t *testing.T) {
		next := itLeaf(t)
		publish(next)
		rl := mustNew(t, model.Reload{Name: "web-nginx", Kind: model.ReloadExec, Timeout: 10 * time.Second,
			Exec: []string{nginx, "-p", n.Dir, "-c", n.Conf, "-e", n.ErrLog, "-s", "reload"}}, rotate.ReloadEnv{})
		start := time.Now()
		res := rl.Run(context.Background())
		if !res.OK() {
			t.Fatalf("nginx -s reload: %v\n%s", res.Err, res.Output)
		}
		took := waitServed(t, srv.Addr, serialOf(next))
		t.Logf("exec reload %v, then served the new serial %v later (%v in all)", res.Duration, took, time.Since(start))
	})
	t.Run("signal HUP", func(t *testing.T) {
		next := itLeaf(t)
		publish(next)
		rl := mustNew(t, model.Reload{Name: "web-hup", Kind: model.ReloadSignal, Signal: "HUP", PIDFile: pidFile}, rotate.ReloadEnv{})
		res := rl.Run(context.Background())
		if !res.OK() {
			t.Fatalf("HUP: %v", res.Err)
		}
		took := waitServed(t, srv.Addr, serialOf(next))
		t.Logf("%s; served the new serial %v later", res.Output, took)
	})
	t.Run("a failing exec reports nginx's stderr and changes nothing", func(t *testing.T) {
		want := serialOf(last)
		rl := mustNew(t, model.Reload{Name: "web-nginx", Kind: model.ReloadExec, Timeout: 10 * time.Second,
			Exec: []string{nginx, "-p", n.Dir, "-c", filepath.Join(n.Dir, "missing.conf"), "-e", n.ErrLog, "-s", "reload"}}, rotate.ReloadEnv{})
		res := rl.Run(context.Background())
		if res.OK() || res.ExitCode != 1 || !strings.Contains(res.Output, "[emerg]") || !strings.Contains(res.Output, "missing.conf") {
			t.Fatalf("exit %d, err %v, output %q: want nginx's exit status 1 and its [emerg] line", res.ExitCode, res.Err, res.Output)
		}
		// Old workers finish their graceful exit for a moment after a
		// reload; once the current serial is served, it must stay so.
		waitServed(t, srv.Addr, want)
		time.Sleep(200 * time.Millisecond)
		for i := 0; i < 5; i++ {
			if got, err := served(t, srv.Addr); err != nil || got != want {
				t.Fatalf("served %s (err %v) after a failed reload, want %s still", got, err, want)
			}
		}
	})
}

func TestSSHReloadAgainstRealSSHD(t *testing.T) {
	sshReloadAgainst(t, probetest.StartSSHD(t))
}
func sshReloadAgainst(t *testing.T, s *probetest.SSHD) {
	dir := t.TempDir()
	writeKnown := func(lines ...string) string {
		p := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Only the ed25519 key: sshd also holds an ecdsa one, which the client
	// would prefer without HostKeyAlgorithms (REAL-SERVERS.md).
	known := writeKnown(s.KnownHostsLine("ed25519"))
	reload := func(command []string, identity, knownHosts string, port int, timeout time.Duration) rotate.ReloadResult {
		return mustNew(t, model.Reload{Name: "edge", Kind: model.ReloadSSH, Timeout: timeout, Command: command,
			SSH: model.SSHConfig{Host: "127.0.0.1", Port: port, User: s.User, Identity: identity, KnownHosts: knownHosts}},
			rotate.ReloadEnv{Getenv: func(string) string { return "" }}).Run(context.Background())
	}
	marker := filepath.Join(dir, "reloaded; it's $HOME `id`")

	t.Run("runs the command", func(t *testing.T) {
		res := reload([]string{"touch", marker}, s.Identity, known, s.Port, 10*time.Second)
		if !res.OK() {
			t.Fatalf("%v\n%s", res.Err, res.Output)
		}
		if _, err := os.Stat(marker); err != nil {
			t.Fatalf("the remote command did not create %q: %v", marker, err)
		}
		t.Logf("ssh reload took %v", res.Duration)
	})
	t.Run("a failing command reports its status and stderr", func(t *testing.T) {
		res := reload([]string{"sh", "-c", "echo 'Job for nginx.service failed.' >&2; exit 7"}, s.Identity, known, s.Port, 10*time.Second)
		if res.OK() || res.ExitCode != 7 || res.Output != "Job for nginx.service failed." {
			t.Errorf("exit %d, err %v, output %q", res.ExitCode, res.Err, res.Output)
		}
	})
	refusedMarker := filepath.Join(dir, "must-not-exist")
	t.Run("an unknown host key is refused", func(t *testing.T) {
		res := reload([]string{"touch", refusedMarker}, s.Identity, writeKnown("other.example "+s.HostPubKeys["ed25519"]), s.Port, 10*time.Second)
		if res.OK() {
			t.Fatal("connected to a host whose key is not in known_hosts")
		}
		// Unknown host: no HostKeyAlgorithms, sshd presents its ecdsa key.
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s.HostPubKeys["ecdsa"]))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"host key not known", ssh.FingerprintSHA256(pub), s.KnownHostsLine("ecdsa")} {
			if !strings.Contains(res.Err.Error(), want) {
				t.Errorf("refusal lacks %q:\n%v", want, res.Err)
			}
		}
	})
	t.Run("a changed host key is refused", func(t *testing.T) {
		_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
		other, _ := ssh.NewPublicKey(otherKey.Public())
		res := reload([]string{"touch", refusedMarker}, s.Identity, writeKnown(fmt.Sprintf("[127.0.0.1]:%d %s", s.Port, bytes.TrimSpace(ssh.MarshalAuthorizedKey(other)))), s.Port, 10*time.Second)
		if res.OK() {
			t.Fatal("connected although the host key changed")
		}
		pub, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(s.HostPubKeys["ed25519"]))
		for _, want := range []string{"HOST KEY CHANGED", ssh.FingerprintSHA256(pub), ssh.FingerprintSHA256(other), s.KnownHostsLine("ed25519")} {
			if !strings.Contains(res.Err.Error(), want) {
				t.Errorf("refusal lacks %q:\n%v", want, res.Err)
			}
		}
	})
	if _, err := os.Stat(refusedMarker); err == nil {
		t.Error("a command ran on a host whose key was refused")
	}
	t.Run("refused auth ends within the timeout", func(t *testing.T) {
		keygen := probetest.RequireBinary(t, "ssh-keygen")
		stranger := filepath.Join(t.TempDir(), "stranger")
		if _, err := probetest.GenerateSSHKey(keygen, "ed25519", stranger); err != nil {
			t.Fatal(err)
		}
		res := reload([]string{"true"}, stranger, known, s.Port, 5*time.Second)
		if res.OK() || !strings.Contains(res.Err.Error(), "authentication refused for user "+s.User) || res.Duration > 5*time.Second {
			t.Errorf("after %v: %v", res.Duration, res.Err)
		}
	})
	t.Run("an unreachable port ends within the timeout", func(t *testing.T) {
		_, p, _ := net.SplitHostPort(probetest.RefusedAddr(t))
		port, _ := strconv.Atoi(p)
		res := reload([]string{"true"}, s.Identity, known, port, 2*time.Second)
		if res.OK() || !strings.Contains(res.Err.Error(), "connection refused") || res.Duration > 2*time.Second {
			t.Errorf("after %v: %v", res.Duration, res.Err)
		}
	})
	t.Run("a command past the timeout ends the reload in time", func(t *testing.T) {
		pidFile := filepath.Join(dir, "remote.pid")
		res := reload([]string{"sh", "-c", `echo $$ > "$0"; exec sleep 30`, pidFile}, s.Identity, known, s.Port, 1500*time.Millisecond)
		if res.OK() || !strings.Contains(res.Err.Error(), "timed out after 1.5s") || res.Duration > 2*time.Second {
			t.Fatalf("after %v: %v", res.Duration, res.Err)
		}
		data, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatalf("the remote command never started: %v", err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		// OpenSSH ignores signal requests in root logins (sshd logs
		// "session signalling requires privilege separation"), so as root
		// the remote sleep survives, and the error must say so.
		if os.Geteuid() == 0 && !strings.Contains(res.Err.Error(), "may still be running") {
			t.Errorf("as root the error must say the command may still run: %v", res.Err)
		}
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // started by this test's sshd for this test
		}
	})
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(stat), ") Z ")
}

func TestHAProxyRuntimeSwapWithoutARestart(t *testing.T) {
	old := itLeaf(t)
	h := probetest.StartHAProxy(t, probetest.HAProxySite{FullchainPEM: old.FullchainPEM(), KeyPEM: old.KeyPEM()})
	srv := h.Servers[0]
	pid := h.PID()
	waitServed(t, srv.Addr, serialOf(old))
	reload := func(payload []byte) rotate.ReloadResult {
		return mustNew(t, model.Reload{Name: "lb", Kind: model.ReloadHAProxy, Timeout: 10 * time.Second, HAProxy: model.HAProxyConfig{Socket: h.Socket, Crt: srv.CrtFile}},
			rotate.ReloadEnv{Payload: func(context.Context) ([]byte, error) { return payload, nil }, LocalCrtWrite: true}).Run(context.Background())
	}

	next := itLeaf(t)
	nextPEM := append(append(next.FullchainPEM(), '\n'), next.KeyPEM()...)
	res := reload(nextPEM)
	if !res.OK() {
		t.Fatalf("swap: %v\n%s", res.Err, res.Output)
	}
	if !strings.Contains(res.Output, "Success!") {
		t.Errorf("output %q lacks HAProxy's Success!", res.Output)
	}
	took := waitServed(t, srv.Addr, serialOf(next))
	t.Logf("runtime swap took %v; the new serial was served %v later", res.Duration, took)
	if h.PID() != pid || !h.Running() {
		t.Errorf("haproxy was restarted (pid %d → %d, running %v)", pid, h.PID(), h.Running())
	}
	disk, err := os.ReadFile(srv.CrtFile)
	if err != nil || !bytes.Equal(disk, nextPEM) {
		t.Errorf("the crt file was not replaced on disk, so a restart would revert (err %v)", err)
	}
	if fi, _ := os.Stat(srv.CrtFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("crt mode %04o, want 0600 kept", fi.Mode().Perm())
	}

	wrong := itLeaf(t)
	res = reload(append(wrong.FullchainPEM(), itLeaf(t).KeyPEM()...))
	if res.OK() {
		t.Fatal("HAProxy accepted a certificate with another certificate's key")
	}
	if !strings.Contains(res.Output, "inconsistencies between private key and certificate") || !strings.Contains(res.Err.Error(), "refused") {
		t.Errorf("HAProxy's refusal was not reported verbatim: %v\n%s", res.Err, res.Output)
	}
	if strings.Contains(res.Err.Error(), "inconsistencies") {
		t.Errorf("the error (kept in the audit log) quotes HAProxy's reply: %v", res.Err)
	}
	if !strings.Contains(res.Output, "Transaction aborted") {
		t.Errorf("no abort in the replies: %s", res.Output)
	}
	if got, err := served(t, srv.Addr); err != nil || got != serialOf(next) {
		t.Errorf("after the refused swap haproxy serves %s (err %v), want %s still", got, err, serialOf(next))
	}
	if pending := h.Command(t, "show ssl cert"); strings.Contains(pending, "# transaction") {
		t.Errorf("a transaction was left open:\n%s", pending)
	}
	if disk2, _ := os.ReadFile(srv.CrtFile); !bytes.Equal(disk2, nextPEM) {
		t.Error("the refused certificate was written to disk")
	}
}
