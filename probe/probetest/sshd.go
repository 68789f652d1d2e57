package probetest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SSHD is a real OpenSSH server started by a test on 127.0.0.1 with its
// own host keys, authorized_keys and client key, all under a private
// directory. It accepts the test's client key for the user the test runs
// as.
type SSHD struct {
	Dir  string
	Conf string
	Log  string // sshd's -E log
	Addr string // 127.0.0.1:PORT
	Port int
	User string // the user to log in as (the one running the test)
	// HostKeys are the server's private host key files by type
	// ("ed25519", "ecdsa"); HostPubKeys their "type base64" public lines.
	HostKeys    map[string]string
	HostPubKeys map[string]string
	// Identity is a passphrase-less ed25519 client key (0600) that
	// authorized_keys accepts.
	Identity string
	process
	out *bytes.Buffer
}

// sshdHostKeyTypes are the host keys the test server holds: two types,
// so a known_hosts listing only one exercises HostKeyAlgorithms
// (REAL-SERVERS.md).
var sshdHostKeyTypes = []string{"ed25519", "ecdsa"}

// StartSSHD runs /usr/sbin/sshd in the foreground (-D) with its own
// config and stops it by its PID at cleanup. Skipped when sshd or
// ssh-keygen is missing (a failure under CERTDECK_INTEGRATION=1).
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	// sshd must be started by its absolute path (it re-executes itself).
	bin := RequireBinary(t, "sshd")
	if !filepath.IsAbs(bin) {
		t.Fatalf("sshd at %q: need an absolute path", bin)
	}
	keygen := RequireBinary(t, "ssh-keygen")
	// Privilege separation needs /run/sshd (the package's tmpfiles.d
	// creates it at boot; a container may not have run that).
	if _, err := os.Stat("/run/sshd"); err != nil {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatalf("sshd needs /run/sshd: %v", err)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "certdeck-sshd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &SSHD{Dir: dir, Conf: filepath.Join(dir, "sshd_config"), Log: filepath.Join(dir, "sshd.log"), User: u.Username,
		HostKeys: map[string]string{}, HostPubKeys: map[string]string{}}
	for _, typ := range sshdHostKeyTypes {
		p := filepath.Join(dir, "host_"+typ)
		pub, err := GenerateSSHKey(keygen, typ, p)
		if err != nil {
			t.Fatal(err)
		}
		s.HostKeys[typ], s.HostPubKeys[typ] = p, pub
	}
	s.Identity = filepath.Join(dir, "client_ed25519")
	clientPub, err := GenerateSSHKey(keygen, "ed25519", s.Identity)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(clientPub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr string
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken before sshd binds it
		if err := s.launch(bin); err == nil {
			t.Cleanup(s.Stop)
			return s
		} else {
			lastErr = err.Error()
		}
	}
	t.Fatalf("start sshd: %s", lastErr)
	return nil
}

// GenerateSSHKey makes a passphrase-less key pair with ssh-keygen at path
// (and path.pub) and returns the public key as "type base64".
func GenerateSSHKey(keygen, typ, path string) (string, error) {
	out, err := exec.Command(keygen, "-q", "-t", typ, "-N", "", "-C", "certdeck-test", "-f", path).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ssh-keygen -t %s: %v: %s", typ, err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(pub))
	if len(f) < 2 {
		return "", fmt.Errorf("ssh-keygen wrote %s.pub without a key", path)
	}
	return f[0] + " " + f[1], nil
}

// launch starts sshd on a free port of 127.0.0.1 and waits until it
// answers (the port is picked by listening, then released for sshd).
func (s *SSHD) launch(bin string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	s.Addr = ln.Addr().String()
	ln.Close()
	var hostKeys strings.Builder
	for _, typ := range sshdHostKeyTypes {
		fmt.Fprintf(&hostKeys, "HostKey %s\n", s.HostKeys[typ])
	}
	conf := fmt.Sprintf(`ListenAddress %s
%sPidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
# The keys live under /tmp, which StrictModes would refuse.
StrictModes no
# Debian's bash sources ~/.bashrc for an ssh command while SHLVL < 2;
# root's here is slow (~0.2 s). A command still runs under the login shell.
SetEnv SHLVL=1
MaxStartups 50
`, s.Addr, hostKeys.String(), s.Dir, s.Dir)
	if err := os.WriteFile(s.Conf, []byte(conf), 0o600); err != nil {
		return err
	}
	_ = os.Remove(s.Log)
	s.out = &bytes.Buffer{}
	if err := s.start(exec.Command(bin, "-D", "-f", s.Conf, "-E", s.Log), s.out); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(s.Log)
			return fmt.Errorf("sshd exited before listening on %s: %s %s", s.Addr, s.out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("sshd not listening on %s after 5s", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// KnownHostsLine is the known_hosts line for the server's key of typ, in
// the form OpenSSH writes for a non-22 port: "[127.0.0.1]:PORT type base64".
func (s *SSHD) KnownHostsLine(typ string) string {
	return fmt.Sprintf("[127.0.0.1]:%d %s", s.Port, s.HostPubKeys[typ])
}

// PID is the listening sshd's process id.
func (s *SSHD) PID() int { return s.cmd.Process.Pid }

// Stop ends the sshd this test started, by its PID (SIGTERM, then SIGKILL
// after 5 s). Sessions it forked end with their connections. Idempotent.
func (s *SSHD) Stop() { s.stop(syscall.SIGTERM) }
