package probetest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// HAProxySite is one TLS frontend of a test HAProxy.
type HAProxySite struct {
	// FullchainPEM and KeyPEM go into the one crt file HAProxy reads
	// (certificate chain, then key).
	FullchainPEM, KeyPEM []byte
	// ClientCAPEM, when set, becomes the frontend's ca-file and Verify its
	// verify mode ("required" or "optional"; default "required").
	ClientCAPEM []byte
	Verify      string
	// MinVersion and MaxVersion are ssl-min-ver / ssl-max-ver
	// ("TLSv1.2", "TLSv1.3"); empty leaves HAProxy's default.
	MinVersion, MaxVersion string
	// TicketKeys, when set, are written base64, one per line, as the
	// frontend's tls-ticket-keys file (HAProxy uses the last three: the
	// middle one encrypts).
	TicketKeys []string
	// TicketKeysFile, when set, is an existing tls-ticket-keys file (a
	// dir made by `certdeck tickets init --format haproxy`) used as is.
	TicketKeysFile string
}

// HAProxyOptions change how the test HAProxy runs.
type HAProxyOptions struct {
	// MasterWorker runs haproxy -W (master-worker mode), so Reload can
	// make it re-read its config and key files (SIGUSR2 to the master).
	MasterWorker bool
}

// HAProxyServer is one running frontend: where it listens and the files
// it reads, so later tests (runtime API, rotation) can change them.
type HAProxyServer struct {
	Addr           string // 127.0.0.1:PORT
	CrtFile        string // exactly as in the config: `set ssl cert` names it so
	CAFile         string
	TicketKeysFile string
}

// HAProxy is a real haproxy started by a test in the foreground (-db),
// with its own config in a private directory and an admin stats socket.
type HAProxy struct {
	Dir     string
	Conf    string
	Socket  string // stats socket, mode 600, level admin (the runtime API)
	Servers []HAProxyServer
	process
	out *bytes.Buffer
}

// StartHAProxy runs haproxy with one frontend per site on 127.0.0.1 and
// stops it by its PID at cleanup. Skipped when haproxy is missing (a
// failure under CERTDECK_INTEGRATION=1).
func StartHAProxy(t testing.TB, sites ...HAProxySite) *HAProxy {
	t.Helper()
	return StartHAProxyWith(t, HAProxyOptions{}, sites...)
}

// StartHAProxyWith is StartHAProxy with options.
func StartHAProxyWith(t testing.TB, opt HAProxyOptions, sites ...HAProxySite) *HAProxy {
	t.Helper()
	bin := RequireBinary(t, "haproxy")
	var lastErr string
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken before haproxy binds it
		h, err := startHAProxy(t, bin, opt, sites)
		if err == nil {
			t.Cleanup(h.Stop)
			return h
		}
		lastErr = err.Error()
	}
	t.Fatalf("start haproxy: %s", lastErr)
	return nil
}

func startHAProxy(t testing.TB, bin string, opt HAProxyOptions, sites []HAProxySite) (*HAProxy, error) {
	// A short private directory: the stats socket's path must fit in
	// sun_path (108 bytes), which t.TempDir's long names can exceed.
	dir, err := os.MkdirTemp("", "certdeck-haproxy-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &HAProxy{Dir: dir, Conf: filepath.Join(dir, "haproxy.cfg"), Socket: filepath.Join(dir, "admin.sock")}
	var fronts strings.Builder
	for i, site := range sites {
		srv := HAProxyServer{Addr: "127.0.0.1:" + freePort(t), CrtFile: filepath.Join(dir, fmt.Sprintf("site%d.pem", i))}
		if err := WriteSecret(srv.CrtFile, append(append([]byte(nil), site.FullchainPEM...), site.KeyPEM...)); err != nil {
			return nil, err
		}
		bind := fmt.Sprintf("bind %s ssl crt %s", srv.Addr, srv.CrtFile)
		if site.ClientCAPEM != nil {
			srv.CAFile = filepath.Join(dir, fmt.Sprintf("site%d-ca.pem", i))
			if err := WriteSecret(srv.CAFile, site.ClientCAPEM); err != nil {
				return nil, err
			}
			verify := site.Verify
			if verify == "" {
				verify = "required"
			}
			bind += fmt.Sprintf(" ca-file %s verify %s", srv.CAFile, verify)
		}
		if site.MinVersion != "" {
			bind += " ssl-min-ver " + site.MinVersion
		}
		if site.MaxVersion != "" {
			bind += " ssl-max-ver " + site.MaxVersion
		}
		if len(site.TicketKeys) > 0 {
			srv.TicketKeysFile = filepath.Join(dir, fmt.Sprintf("site%d.keys", i))
			if err := WriteSecret(srv.TicketKeysFile, []byte(strings.Join(site.TicketKeys, "\n")+"\n")); err != nil {
				return nil, err
			}
			bind += " tls-ticket-keys " + srv.TicketKeysFile
		}
		if site.TicketKeysFile != "" {
			srv.TicketKeysFile = site.TicketKeysFile
			bind += " tls-ticket-keys " + srv.TicketKeysFile
		}
		fmt.Fprintf(&fronts, "frontend site%d\n  %s\n  http-request return status 200 content-type text/plain string ok\n", i, bind)
		h.Servers = append(h.Servers, srv)
	}
	conf := fmt.Sprintf(`global
  stats socket %s mode 600 level admin
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
%s`, h.Socket, fronts.String())
	if err := os.WriteFile(h.Conf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	h.out = &bytes.Buffer{}
	args := []string{"-db", "-f", h.Conf}
	if opt.MasterWorker {
		args = append([]string{"-W"}, args...)
	}
	if err := h.start(exec.Command(bin, args...), h.out); err != nil {
		return nil, err
	}
	if err := h.waitListening(5 * time.Second); err != nil {
		h.Stop()
		return nil, fmt.Errorf("%v\nconfig:\n%s\noutput:\n%s", err, conf, h.out.String())
	}
	return h, nil
}

func (h *HAProxy) waitListening(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	addrs := []string{}
	for _, s := range h.Servers {
		addrs = append(addrs, s.Addr)
	}
	for _, addr := range addrs {
		for {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-h.exited:
				return fmt.Errorf("haproxy exited before listening on %s", addr)
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("haproxy not listening on %s after %v", addr, limit)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The stats socket appears with the listeners; wait for it too, so
	// runtime-API tests can use it at once.
	for {
		if _, err := os.Stat(h.Socket); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("haproxy stats socket %s missing after %v", h.Socket, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PID is the process id of the haproxy this test started: a runtime-API
// swap must leave it the same (no restart).
func (h *HAProxy) PID() int { return h.cmd.Process.Pid }

// Running reports whether that process has not exited.
func (h *HAProxy) Running() bool { return h.running() }

// Reload makes a master-worker HAProxy (HAProxyOptions.MasterWorker)
// re-read its config and key files: SIGUSR2 to the master this test
// started; a new worker takes over the listeners.
func (h *HAProxy) Reload() error {
	return h.cmd.Process.Signal(syscall.SIGUSR2)
}

// Command sends one runtime-API command and returns the reply.
func (h *HAProxy) Command(t testing.TB, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", h.Socket, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(c)
	return string(out)
}

// Stop ends the haproxy this test started, by its PID: SIGTERM (haproxy's
// immediate stop), then SIGKILL if it has not exited after 5 seconds.
// Idempotent.
func (h *HAProxy) Stop() { h.stop(syscall.SIGTERM) }
