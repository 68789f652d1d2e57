package probetest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NginxSite is one TLS server block of a test nginx.
type NginxSite struct {
	// FullchainPEM and KeyPEM are what ssl_certificate and
	// ssl_certificate_key point at.
	FullchainPEM, KeyPEM []byte
	// TicketKeys are raw ssl_session_ticket_key files (48 or 80 bytes);
	// the first encrypts, all decrypt. None: nginx's own random key.
	TicketKeys [][]byte
	// TicketKeyFiles are existing key files (a dir made by `certdeck
	// tickets init`), listed after TicketKeys in this order.
	TicketKeyFiles []string
	// Protocols is ssl_protocols; empty means "TLSv1.2 TLSv1.3".
	Protocols string
	// NoTickets turns ssl_session_tickets off; SessionCache is
	// ssl_session_cache ("shared:NAME:1m", "none"; empty: nginx's default).
	NoTickets    bool
	SessionCache string
	// Staple, when set, is a DER OCSP response served with ssl_stapling
	// from ssl_stapling_file.
	Staple []byte
	// AlsoFullchainPEM and AlsoKeyPEM, when set, are a second
	// ssl_certificate and ssl_certificate_key (the other key type: nginx
	// serves an RSA and an ECDSA certificate side by side).
	AlsoFullchainPEM, AlsoKeyPEM []byte
	// CertPath and KeyPath, when set, are what ssl_certificate and
	// ssl_certificate_key name instead of copies of FullchainPEM and
	// KeyPEM: a certdeck store's current/fullchain.pem, which a publish
	// changes and a reload picks up.
	CertPath, KeyPath string
}

// NginxServer is one running site: where it listens and the files it
// reads, so tests (rotation, bundles) can rewrite them and Reload.
type NginxServer struct {
	Addr           string // 127.0.0.1:PORT
	CertFile       string
	KeyFile        string
	TicketKeyFiles []string
	StapleFile     string
}

// Nginx is a real nginx master started by a test under its own prefix.
type Nginx struct {
	Dir     string // prefix: config, logs, pid and temp paths live here
	Conf    string
	ErrLog  string
	Servers []NginxServer
	process
}

// integrationEnv, when "1", turns a missing server binary into a failure:
// CI must not pass by skipping.
const integrationEnv = "CERTDECK_INTEGRATION"

// RequireBinary returns the path of a server binary (looked up in PATH,
// then /usr/sbin and /usr/local/sbin). When it is missing the test is
// skipped with a message, or fails when CERTDECK_INTEGRATION=1.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed: skipping the integration test (install it with apt-get install %s; set %s=1 to make this a failure)", name, name, integrationEnv)
	if os.Getenv(integrationEnv) == "1" {
		t.Fatalf("%s=1 but %s", integrationEnv, msg)
	}
	t.Skip(msg)
	return ""
}

// StartNginx runs nginx in the foreground (daemon off) with one server
// block per site on 127.0.0.1, under a prefix in t.TempDir(), and stops it
// by its PID at cleanup. Key and ticket-key files are created 0600.
func StartNginx(t testing.TB, sites ...NginxSite) *Nginx {
	t.Helper()
	bin := RequireBinary(t, "nginx")
	var lastErr string
	// A port picked free can be taken before nginx binds it; retry.
	for attempt := 0; attempt < 3; attempt++ {
		n, err := startNginx(t, bin, sites)
		if err == nil {
			t.Cleanup(n.Stop)
			return n
		}
		lastErr = err.Error()
	}
	t.Fatalf("start nginx: %s", lastErr)
	return nil
}

func startNginx(t testing.TB, bin string, sites []NginxSite) (*Nginx, error) {
	dir := t.TempDir()
	n := &Nginx{Dir: dir, Conf: filepath.Join(dir, "nginx.conf"), ErrLog: filepath.Join(dir, "error.log")}
	for _, sub := range []string{"tmp", "logs"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	var blocks strings.Builder
	for i, site := range sites {
		srv := NginxServer{
			Addr:     "127.0.0.1:" + freePort(t),
			CertFile: filepath.Join(dir, fmt.Sprintf("site%d.crt", i)),
			KeyFile:  filepath.Join(dir, fmt.Sprintf("site%d.key", i)),
		}
		if site.CertPath != "" {
			srv.CertFile, srv.KeyFile = site.CertPath, site.KeyPath
		} else {
			if err := WriteSecret(srv.CertFile, site.FullchainPEM); err != nil {
				return nil, err
			}
			if err := WriteSecret(srv.KeyFile, site.KeyPEM); err != nil {
				return nil, err
			}
		}
		protocols := site.Protocols
		if protocols == "" {
			protocols = "TLSv1.2 TLSv1.3"
		}
		fmt.Fprintf(&blocks, "  server {\n    listen %s ssl;\n    server_name _;\n", srv.Addr)
		fmt.Fprintf(&blocks, "    ssl_certificate %s;\n    ssl_certificate_key %s;\n", srv.CertFile, srv.KeyFile)
		if site.AlsoFullchainPEM != nil {
			cert, key := filepath.Join(dir, fmt.Sprintf("site%d-also.crt", i)), filepath.Join(dir, fmt.Sprintf("site%d-also.key", i))
			if err := WriteSecret(cert, site.AlsoFullchainPEM); err != nil {
				return nil, err
			}
			if err := WriteSecret(key, site.AlsoKeyPEM); err != nil {
				return nil, err
			}
			fmt.Fprintf(&blocks, "    ssl_certificate %s;\n    ssl_certificate_key %s;\n", cert, key)
		}
		tickets := "on"
		if site.NoTickets {
			tickets = "off"
		}
		fmt.Fprintf(&blocks, "    ssl_protocols %s;\n    ssl_session_tickets %s;\n", protocols, tickets)
		if site.SessionCache != "" {
			fmt.Fprintf(&blocks, "    ssl_session_cache %s;\n", site.SessionCache)
		}
		if site.Staple != nil {
			srv.StapleFile = filepath.Join(dir, fmt.Sprintf("site%d.ocsp", i))
			if err := WriteSecret(srv.StapleFile, site.Staple); err != nil {
				return nil, err
			}
			fmt.Fprintf(&blocks, "    ssl_stapling on;\n    ssl_stapling_file %s;\n", srv.StapleFile)
		}
		for j, key := range site.TicketKeys {
			p := filepath.Join(dir, fmt.Sprintf("site%d-ticket%d.key", i, j))
			if err := WriteSecret(p, key); err != nil {
				return nil, err
			}
			srv.TicketKeyFiles = append(srv.TicketKeyFiles, p)
			fmt.Fprintf(&blocks, "    ssl_session_ticket_key %s;\n", p)
		}
		for _, p := range site.TicketKeyFiles {
			srv.TicketKeyFiles = append(srv.TicketKeyFiles, p)
			fmt.Fprintf(&blocks, "    ssl_session_ticket_key %s;\n", p)
		}
		blocks.WriteString("    location / { return 200 \"ok\\n\"; }\n  }\n")
		n.Servers = append(n.Servers, srv)
	}
	tmp := filepath.Join(dir, "tmp")
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[2]s;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %[3]s/body;
  proxy_temp_path %[3]s/proxy;
  fastcgi_temp_path %[3]s/fastcgi;
  uwsgi_temp_path %[3]s/uwsgi;
  scgi_temp_path %[3]s/scgi;
%[4]s}
`, dir, n.ErrLog, tmp, blocks.String())
	if err := os.WriteFile(n.Conf, []byte(conf), 0o600); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	if err := n.start(exec.Command(bin, "-p", dir, "-c", n.Conf, "-e", n.ErrLog), &out); err != nil {
		return nil, err
	}
	if err := n.waitListening(5 * time.Second); err != nil {
		n.Stop()
		log, _ := os.ReadFile(n.ErrLog)
		return nil, fmt.Errorf("%v\nstdout/stderr: %s\nerror.log:\n%s", err, out.String(), log)
	}
	return n, nil
}

func (n *Nginx) waitListening(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, s := range n.Servers {
		for {
			c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-n.exited:
				return fmt.Errorf("nginx exited before listening on %s", s.Addr)
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("nginx not listening on %s after %v", s.Addr, limit)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// ReloadArgv is the command line that reloads this nginx (`nginx -s
// reload` with its prefix, config and error log), for an exec reload.
func (n *Nginx) ReloadArgv() []string {
	return []string{n.cmd.Path, "-p", n.Dir, "-c", n.Conf, "-e", n.ErrLog, "-s", "reload"}
}

// Reload sends SIGHUP to the master this test started: nginx re-reads its
// config, certificates and ticket keys and replaces its workers.
func (n *Nginx) Reload() error {
	return n.cmd.Process.Signal(syscall.SIGHUP)
}

// Stop asks the master (by the PID this test started) to quit gracefully,
// and kills it if it has not exited after 5 seconds. Idempotent.
func (n *Nginx) Stop() { n.stop(syscall.SIGQUIT) }

// WriteSecret creates path with mode 0600 from its first byte (O_EXCL:
// never over an existing file), for keys and ticket keys.
func WriteSecret(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
