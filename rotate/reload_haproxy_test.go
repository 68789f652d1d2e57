package rotate

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"certdeck/model"
)

// fakeRuntimeAPI speaks HAProxy 2.6's runtime API for ssl certificates,
// with the replies REAL-SERVERS.md and a real haproxy show: one command
// per connection, a payload ended by an empty line, transactions that
// survive a failed commit until aborted.
type fakeRuntimeAPI struct {
	addr    string
	network string

	mu       sync.Mutex
	known    map[string]bool   // crt paths "in the config"
	served   map[string][]byte // what each crt serves
	pending  map[string][]byte // open transactions
	commands []string          // first line of each command
	// commitFails makes commit answer with a key/certificate mismatch;
	// noSuccess answers "Committing" without "Success!"; echo puts the
	// received payload into the reply; hang never answers.
	commitFails, noSuccess, echo, hang bool
	// tamper, when set, replaces every reply (an echo that cuts, wraps
	// or pads what it received).
	tamper func(reply string, payload []byte) string
}

func startFakeRuntimeAPI(t *testing.T, network string, crts ...string) *fakeRuntimeAPI {
	t.Helper()
	f := &fakeRuntimeAPI{network: network, known: map[string]bool{}, served: map[string][]byte{}, pending: map[string][]byte{}}
	for _, c := range crts {
		f.known[c] = true
	}
	var ln net.Listener
	var err error
	if network == "unix" {
		dir, derr := os.MkdirTemp("", "certdeck-rt-") // short: sun_path is 108 bytes
		if derr != nil {
			t.Fatal(derr)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		ln, err = net.Listen("unix", filepath.Join(dir, "admin.sock"))
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); f.serve(c, done) }()
		}
	}()
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	return f
}

func (f *fakeRuntimeAPI) serve(c net.Conn, done chan struct{}) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return
	}
	line = strings.TrimSuffix(line, "\n")
	var payload []byte
	if strings.HasSuffix(line, " <<") {
		for {
			l, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			if len(l) == 1 {
				break // the empty line ends the payload
			}
			payload = append(payload, l...)
		}
	}
	f.mu.Lock()
	f.commands = append(f.commands, line)
	hang := f.hang
	reply := f.answer(line, payload)
	if f.tamper != nil {
		reply = f.tamper(reply, payload)
	}
	f.mu.Unlock()
	if hang {
		<-done
		return
	}
	c.Write([]byte(reply + "\n"))
}

func (f *fakeRuntimeAPI) answer(line string, payload []byte) string {
	fields := strings.Fields(line)
	if len(fields) < 4 || fields[1] != "ssl" || fields[2] != "cert" {
		return "Unknown command."
	}
	crt := fields[3]
	switch fields[0] {
	case "set":
		if !f.known[crt] {
			return "Can't replace a certificate which is not referenced by the configuration!\nCan't update " + crt + "!\n"
		}
		verb := "created"
		if f.pending[crt] != nil {
			verb = "updated"
		}
		f.pending[crt] = payload
		reply := "Transaction " + verb + " for certificate " + crt + "!\n"
		if f.echo {
			reply += "received:\n" + string(payload)
		}
		return reply
	case "commit":
		switch {
		case f.pending[crt] == nil:
			return "No ongoing transaction! !\nCan't commit " + crt + "!\n"
		case f.commitFails:
			return "Committing " + crt + ".\ninconsistencies between private key and certificate loaded '" + crt + "'.\nCan't commit " + crt + "!\n"
		case f.noSuccess:
			return "Committing " + crt + ".\n"
		}
		f.served[crt], f.pending[crt] = f.pending[crt], nil
		return "Committing " + crt + ".\nSuccess!\n"
	case "abort":
		if f.pending[crt] == nil {
			return "No ongoing transaction!\n"
		}
		delete(f.pending, crt)
		return "Transaction aborted for certificate '" + crt + "'!\n"
	}
	return "Unknown command."
}

func (f *fakeRuntimeAPI) state() (commands []string, served, pending map[string][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	served, pending = map[string][]byte{}, map[string][]byte{}
	for k, v := range f.served {
		served[k] = v
	}
	for k, v := range f.pending {
		if v != nil {
			pending[k] = v
		}
	}
	return append([]string(nil), f.commands...), served, pending
}

// haproxyFixture is a crt file on disk (0640, group nobody when root),
// the fake runtime API that knows it, and a new certificate to install.
type haproxyFixture struct {
	api     *fakeRuntimeAPI
	crt     string
	oldPEM  []byte
	newPEM  []byte // fullchain, a blank line, key: a blank line would end HAProxy's payload
	keyBody []string
	keyB64  string // the key's base64 body, lines joined
}

func newHAProxyFixture(t *testing.T, network string) *haproxyFixture {
	t.Helper()
	oldLeaf, newLeaf := issue(t, "lb.example"), issue(t, "lb.example")
	f := &haproxyFixture{crt: filepath.Join(t.TempDir(), "web.pem")}
	f.oldPEM = append(oldLeaf.FullchainPEM(), oldLeaf.KeyPEM()...)
	f.newPEM = append(append(newLeaf.FullchainPEM(), '\n'), newLeaf.KeyPEM()...)
	for _, l := range strings.Split(string(newLeaf.KeyPEM()), "\n") {
		if len(l) >= 16 && !strings.HasPrefix(l, "-----") {
			f.keyBody = append(f.keyBody, l)
		}
	}
	f.keyB64 = strings.Join(f.keyBody, "")
	if err := os.WriteFile(f.crt, f.oldPEM, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.crt, 0o640); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(f.crt, 0, 65534); err != nil {
			t.Fatal(err)
		}
	}
	f.api = startFakeRuntimeAPI(t, network, f.crt)
	return f
}

func (f *haproxyFixture) reload(t *testing.T, payload []byte, writeDisk bool, timeout time.Duration) Reload {
	t.Helper()
	return mustReload(t, model.Reload{Name: "lb", Kind: model.ReloadHAProxy, Timeout: timeout, HAProxy: model.HAProxyConfig{Socket: f.api.addr, Crt: f.crt}},
		ReloadEnv{Payload: func(context.Context) ([]byte, error) { return payload, nil }, LocalCrtWrite: writeDisk})
}

// noKeyLines fails if any line of the private key appears in s.
func (f *haproxyFixture) noKeyLines(t *testing.T, what, s string) {
	t.Helper()
	for _, l := range f.keyBody {
		if strings.Contains(s, l) {
			t.Fatalf("%s holds private key material", what)
		}
	}
}

// noKeyRuns fails if any 12 characters of the key's base64 body appear
// in s, however the echo was cut or wrapped. It names the count, never
// the bytes.
func (f *haproxyFixture) noKeyRuns(t *testing.T, what, s string) {
	t.Helper()
	if n := sharedRuns(f.keyB64, s, 12); n > 0 {
		t.Errorf("%s holds %d runs of 12 characters of the private key", what, n)
	}
}

// sharedRuns counts the positions of s where n characters of secret
// start.
func sharedRuns(secret, s string, n int) int {
	windows := map[string]bool{}
	for i := 0; i+n <= len(secret); i++ {
		windows[secret[i:i+n]] = true
	}
	count := 0
	for i := 0; i+n <= len(s); i++ {
		if windows[s[i:i+n]] {
			count++
		}
	}
	return count
}

func wrapAt(s string, width int) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + "\n")
		s = s[width:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

// TestHAProxyReloadRedactsKeyEchoesHoweverTheyAreCut: a socket that echoes
// the key cut by the reply limit, re-wrapped, truncated per line or split
// by an escape sequence leaves no 12 characters of it in the output or
// the error; a reply without key material is kept unchanged.
func TestHAProxyReloadRedactsKeyEchoesHoweverTheyAreCut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(f *haproxyFixture) func(string, []byte) string
	}{
		{"a key line split by the reply limit", func(f *haproxyFixture) func(string, []byte) string {
			return func(reply string, _ []byte) string {
				// The limit falls 50 characters into the key's second line.
				pad := haproxyReplyLimit - 50 - len(reply)
				return reply + strings.Repeat("x", pad) + f.keyBody[1] + "\n"
			}
		}},
		{"re-wrapped at 40 characters", func(f *haproxyFixture) func(string, []byte) string {
			return func(reply string, _ []byte) string { return reply + "received:\n" + wrapAt(f.keyB64, 40) }
		}},
		{"each line truncated", func(f *haproxyFixture) func(string, []byte) string {
			return func(reply string, _ []byte) string {
				for _, l := range f.keyBody {
					reply += "bad line: " + l[:len(l)-4] + "…\n"
				}
				return reply
			}
		}},
		{"split by escapes and line breaks", func(f *haproxyFixture) func(string, []byte) string {
			return func(reply string, _ []byte) string {
				l := f.keyBody[2]
				return reply + l[:10] + "\x1b[0m" + l[10:20] + "\r\n" + l[20:30] + "\u200b" + l[30:] + "\n"
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newHAProxyFixture(t, "unix")
			f.api.tamper = tc.tamper(f)
			res := f.reload(t, f.newPEM, false, 5*time.Second).Run(context.Background())
			f.noKeyRuns(t, "the output", res.Output)
			if res.Err != nil {
				f.noKeyRuns(t, "the error", res.Err.Error())
			}
			f.noKeyRuns(t, "the sanitised output", model.Sanitize(res.Output))
			if !strings.Contains(res.Output, "[private key redacted]") {
				t.Errorf("no redaction marker in the output (%d bytes)", len(res.Output))
			}
			if len(res.Output) > 3*haproxyReplyLimit {
				t.Errorf("output %d bytes: each reply must be cut to %d", len(res.Output), haproxyReplyLimit)
			}
		})
	}
	t.Run("a reply without key material", func(t *testing.T) {
		f := newHAProxyFixture(t, "unix")
		const extra = "note: MIIB is not a key, nor is /etc/haproxy/certs/web.pem\x1b[1m\n"
		f.api.tamper = func(reply string, _ []byte) string { return strings.Replace(reply, "\n", "\n"+extra, 1) }
		res := f.reload(t, f.newPEM, false, 5*time.Second).Run(context.Background())
		if !res.OK() {
			t.Fatalf("run: %v", res.Err)
		}
		want := "Transaction created for certificate " + f.crt + "!\n" + extra + "\n" + "Committing " + f.crt + ".\n" + extra + "Success!\n"
		if res.Output != strings.TrimRight(want, "\n") {
			t.Errorf("output %q, want the replies unchanged %q", res.Output, want)
		}
	})
}

func TestHAProxyReloadSwapsTheCertificateAndReplacesTheCrtFile(t *testing.T) {
	f := newHAProxyFixture(t, "unix")
	res := f.reload(t, f.newPEM, true, 5*time.Second).Run(context.Background())
	if !res.OK() {
		t.Fatalf("run: %v\n%s", res.Err, res.Output)
	}
	cmds, served, _ := f.api.state()
	if want := []string{"set ssl cert " + f.crt + " <<", "commit ssl cert " + f.crt}; !reflect.DeepEqual(cmds, want) {
		t.Errorf("commands %q, want %q", cmds, want)
	}
	got := served[f.crt]
	if bytes.Contains(got, []byte("\n\n")) || !bytes.Equal(got, bytes.ReplaceAll(f.newPEM, []byte("\n\n"), []byte("\n"))) {
		t.Errorf("HAProxy got a payload (%d bytes) that is not the chain and key with blank lines removed", len(got))
	}
	if !strings.Contains(res.Output, "Success!") {
		t.Errorf("output %q lacks HAProxy's reply", res.Output)
	}
	disk, err := os.ReadFile(f.crt)
	if err != nil || !bytes.Equal(disk, f.newPEM) {
		t.Errorf("the crt file on disk was not replaced with the new certificate (err %v)", err)
	}
	fi, _ := os.Stat(f.crt)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("crt mode %04o, want the old 0640 kept", fi.Mode().Perm())
	}
	if st := fi.Sys().(*syscall.Stat_t); os.Geteuid() == 0 && st.Gid != 65534 {
		t.Errorf("crt group %d, want the old 65534 kept", st.Gid)
	}
	f.noKeyLines(t, "the output", res.Output)
}

func TestHAProxyReloadAbortsAndReportsARefusalVerbatim(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(*haproxyFixture)
		wantCmds  []string
		wantReply string
	}{
		{"commit refused", func(f *haproxyFixture) { f.api.commitFails = true },
			[]string{"set", "commit", "abort"}, "inconsistencies between private key and certificate loaded"},
		{"commit without Success!", func(f *haproxyFixture) { f.api.noSuccess = true },
			[]string{"set", "commit", "abort"}, "Committing "},
		{"set refused", func(f *haproxyFixture) { f.api.known = map[string]bool{} },
			[]string{"set", "abort"}, "Can't replace a certificate which is not referenced by the configuration!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newHAProxyFixture(t, "unix")
			tc.setup(f)
			res := f.reload(t, f.newPEM, true, 5*time.Second).Run(context.Background())
			if res.OK() {
				t.Fatal("a refused swap was reported as a success")
			}
			cmds, served, pending := f.api.state()
			var verbs []string
			for _, c := range cmds {
				verbs = append(verbs, strings.Fields(c)[0])
			}
			if !reflect.DeepEqual(verbs, tc.wantCmds) {
				t.Errorf("commands %q, want %q", verbs, tc.wantCmds)
			}
			if len(pending) != 0 || len(served) != 0 {
				t.Errorf("something stayed in HAProxy: pending %d, committed %d", len(pending), len(served))
			}
			if !strings.Contains(res.Output, tc.wantReply) || !strings.Contains(res.Err.Error(), "nothing committed") {
				t.Errorf("output %q / error %v: want the reply verbatim and 'nothing committed'", res.Output, res.Err)
			}
			// The error is kept in the audit log, and a server's output is
			// not: the reply is in Output only.
			if strings.Contains(res.Err.Error(), tc.wantReply) {
				t.Errorf("error %v quotes the server's reply", res.Err)
			}
			if disk, _ := os.ReadFile(f.crt); !bytes.Equal(disk, f.oldPEM) {
				t.Error("the crt file on disk changed although HAProxy refused the certificate")
			}
		})
	}
}

func TestHAProxyReloadNeverPutsKeyBytesInItsResult(t *testing.T) {
	f := newHAProxyFixture(t, "unix")
	f.api.echo, f.api.commitFails = true, true
	res := f.reload(t, f.newPEM, false, 5*time.Second).Run(context.Background())
	if res.OK() {
		t.Fatal("want a failure")
	}
	f.noKeyLines(t, "the output", res.Output)
	f.noKeyLines(t, "the error", res.Err.Error())
	for _, s := range f.reload(t, f.newPEM, true, time.Second).Steps() {
		f.noKeyLines(t, "a step", s.Detail)
	}
	if !strings.Contains(res.Output, "[private key redacted]") {
		t.Errorf("the echoed key was not redacted: %q", res.Output)
	}
}

func TestHAProxyReloadOverLoopbackTCPAndNotBeyond(t *testing.T) {
	f := newHAProxyFixture(t, "tcp")
	if res := f.reload(t, f.newPEM, false, 5*time.Second).Run(context.Background()); !res.OK() {
		t.Fatalf("over 127.0.0.1: %v", res.Err)
	}
	for _, tc := range []struct{ socket, crt, want string }{
		{"10.1.2.3:9999", "/etc/haproxy/web.pem", "not a loopback address"},
		{"lb.example:9999", "/etc/haproxy/web.pem", "neither an absolute unix socket path nor IP:PORT"},
		{"run/admin.sock", "/etc/haproxy/web.pem", "neither"},
		{"/run/admin.sock", "/etc/haproxy/web.pem; show sess", "holds a space"},
		{"/run/admin.sock", "", "no crt"},
	} {
		_, err := NewReload(model.Reload{Name: "lb", Kind: model.ReloadHAProxy, HAProxy: model.HAProxyConfig{Socket: tc.socket, Crt: tc.crt}},
			ReloadEnv{Payload: func(context.Context) ([]byte, error) { return nil, nil }})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("socket %q crt %q: %v, want %q", tc.socket, tc.crt, err, tc.want)
		}
	}
}

func TestHAProxyReloadSendsNothingForABadPayloadOrAMissingCrtFile(t *testing.T) {
	f := newHAProxyFixture(t, "unix")
	onlyCert := f.newPEM[:bytes.Index(f.newPEM, []byte("\n\n"))+1]
	if res := f.reload(t, onlyCert, false, time.Second).Run(context.Background()); res.OK() || !strings.Contains(res.Err.Error(), "0 keys") {
		t.Errorf("a payload without its key: %v", res.Err)
	}
	if err := os.Remove(f.crt); err != nil {
		t.Fatal(err)
	}
	if res := f.reload(t, f.newPEM, true, time.Second).Run(context.Background()); res.OK() || !strings.Contains(res.Err.Error(), "no such file on this machine") {
		t.Errorf("a crt to write that does not exist: %v", res.Err)
	}
	if cmds, _, _ := f.api.state(); len(cmds) != 0 {
		t.Errorf("commands were sent: %q", cmds)
	}
}

func TestHAProxyReloadEndsWithinItsTimeoutAndStillAborts(t *testing.T) {
	f := newHAProxyFixture(t, "unix")
	f.api.hang = true
	start := time.Now()
	res := f.reload(t, f.newPEM, false, 800*time.Millisecond).Run(context.Background())
	if took := time.Since(start); took > 800*time.Millisecond+500*time.Millisecond {
		t.Errorf("took %v with an 800ms timeout", took)
	}
	if res.OK() || !strings.Contains(res.Err.Error(), "timed out") {
		t.Errorf("error %v", res.Err)
	}
	if cmds, _, _ := f.api.state(); len(cmds) != 2 || !strings.HasPrefix(cmds[1], "abort ssl cert ") {
		t.Errorf("commands %q: want the set, then an abort within the timeout", cmds)
	}
}

func TestHAProxyReloadStepsShowSocketCrtAndCommands(t *testing.T) {
	f := newHAProxyFixture(t, "unix")
	steps := f.reload(t, f.newPEM, true, time.Second).Steps()
	if len(steps) != 3 {
		t.Fatalf("steps %+v", steps)
	}
	for i, want := range []string{"set ssl cert " + f.crt + " <<", "commit ssl cert " + f.crt, "replace " + f.crt + " atomically"} {
		if !strings.Contains(steps[i].Detail, want) {
			t.Errorf("step %d %q lacks %q", i, steps[i].Detail, want)
		}
	}
	if steps[0].Target != f.api.addr || steps[2].Target != f.crt || steps[2].Kind != "write" {
		t.Errorf("targets: %+v", steps)
	}
}
