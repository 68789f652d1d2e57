package rotate

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"certdeck/model"
)

// fakeRuntime answers one runtime-API command per connection on a unix
// socket with reply(command), and records the commands.
func fakeRuntime(t *testing.T, reply func(cmd string) string) (string, func() []string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "cdk-rt-") // sun_path is short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var cmds []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			mu.Lock()
			cmds = append(cmds, strings.TrimSpace(line))
			mu.Unlock()
			c.Write([]byte(reply(strings.TrimSpace(line))))
			c.Close()
		}
	}()
	return sock, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), cmds...) }
}

func TestHAProxyTicketAPINamesAndPushWithoutLeakingKeys(t *testing.T) {
	var keys []model.TicketKey
	var lines []string
	for _, seed := range []byte{1, 90, 170} {
		k, _ := model.ParseTicketKey(model.TicketHAProxy, seqBytes(80, seed))
		keys = append(keys, k)
		raw, _ := k.Encode(model.TicketHAProxy)
		lines = append(lines, base64.StdEncoding.EncodeToString(raw))
	}
	show := "# id secret\n# 0 (/etc/haproxy/keys)\n0.0 " + lines[0] + "\n0.1 " + lines[1] + "\n0.2 " + lines[2] + "\n\n"
	sock, cmds := fakeRuntime(t, func(cmd string) string {
		switch {
		case strings.HasPrefix(cmd, "show tls-keys /etc/haproxy/keys"):
			return show
		case strings.HasPrefix(cmd, "show tls-keys"):
			return "0.0 " + lines[0] + " trailing junk\n"
		case strings.HasPrefix(cmd, "set ssl tls-key /etc/haproxy/keys "):
			return haproxyKeyUpdated + "\n\n"
		}
		return "'set ssl tls-key' received a key of wrong size.\n"
	})
	api := HAProxyTicketAPI{Socket: sock, Ref: "/etc/haproxy/keys"}
	names, err := api.Names(context.Background())
	if err != nil || len(names) != 3 || names[1] != keys[1].Name() {
		t.Fatalf("names %v, %v", names, err)
	}
	if err := api.Push(context.Background(), keys[0]); err != nil {
		t.Fatal(err)
	}
	if sent := cmds(); sent[len(sent)-1] != "set ssl tls-key /etc/haproxy/keys "+lines[0] {
		t.Fatal("Push did not send set ssl tls-key with the key's haproxy layout")
	}
	bad := HAProxyTicketAPI{Socket: sock, Ref: "#9"}
	_, err1 := bad.Names(context.Background())
	err2 := bad.Push(context.Background(), keys[2])
	for _, err := range []error{err1, err2} {
		if err == nil {
			t.Fatal("a bad reply was accepted")
		}
		for _, l := range lines {
			if strings.Contains(err.Error(), l[:24]) {
				t.Fatalf("error quotes key material: %v", err)
			}
		}
	}
	if !strings.Contains(err2.Error(), "received a key of wrong size") {
		t.Fatalf("HAProxy's reason is lost: %v", err2)
	}
	if _, err := (HAProxyTicketAPI{Socket: "10.0.0.1:9999", Ref: "x"}).Names(context.Background()); err == nil || !strings.Contains(err.Error(), "clear text") {
		t.Fatalf("a non-loopback socket: %v", err)
	}
}

func seqBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

// TestHAProxyTicketPushRedactsAnEchoedKey: a reply that quotes part of
// the key sent with set ssl tls-key (cut short, so no whole-key match and
// no 40-character field) loses every 12 characters of it.
func TestHAProxyTicketPushRedactsAnEchoedKey(t *testing.T) {
	k, _ := model.ParseTicketKey(model.TicketHAProxy, seqBytes(80, 33))
	raw, _ := k.Encode(model.TicketHAProxy)
	b64 := base64.StdEncoding.EncodeToString(raw)
	secret := b64[22:] // after the 16 name bytes, which are shown anyway
	for _, tc := range []struct{ name, reply string }{
		{"a cut echo", "'set ssl tls-key' bad key " + b64[24:63] + "\n"},
		{"split fields", "'set ssl tls-key' bad key " + b64[22:50] + " " + b64[50:80] + "\n"},
		{"split by an escape", "bad key " + b64[30:40] + "\x1b[0m" + b64[40:75] + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock, _ := fakeRuntime(t, func(string) string { return tc.reply })
			err := HAProxyTicketAPI{Socket: sock, Ref: "/etc/haproxy/keys"}.Push(context.Background(), k)
			if err == nil {
				t.Fatal("a refusal was accepted")
			}
			if n := sharedRuns(secret, err.Error(), 12); n > 0 {
				t.Errorf("the error holds %d runs of 12 characters of the ticket key", n)
			}
			if !strings.Contains(err.Error(), "bad key") {
				t.Errorf("HAProxy's reason is lost: %v", err)
			}
		})
	}
}

// TestHAProxyTicketAPIRefusesARefTheRuntimeAPIWouldSplit: a ';' in the
// key dir would make `show tls-keys DIR/tls-ticket-keys` two commands;
// nothing is sent, a plan (dry run) is refused as a run is.
func TestHAProxyTicketAPIRefusesARefTheRuntimeAPIWouldSplit(t *testing.T) {
	sock, cmds := fakeRuntime(t, func(string) string { return "Unknown command.\n" })
	k, _ := model.ParseTicketKey(model.TicketHAProxy, seqBytes(80, 7))
	for _, ref := range []string{"/tmp/tk;shutdown sessions server be/s1;x/tls-ticket-keys", "/tmp/a b/tls-ticket-keys", "/tmp/a\\;b/tls-ticket-keys", "/tmp/a\nb/tls-ticket-keys"} {
		api := HAProxyTicketAPI{Socket: sock, Ref: ref}
		_, err1 := api.Names(context.Background())
		err2 := api.Push(context.Background(), k)
		for _, err := range []error{api.Check(), err1, err2} {
			if err == nil || !strings.Contains(err.Error(), "the runtime API would misread") {
				t.Errorf("ref %q: %v, want a refusal", ref, err)
			}
		}
	}
	dir := filepath.Join(t.TempDir(), "tk;shutdown sessions server be/s1;x")
	d := &TicketDir{Dir: dir, Format: model.TicketHAProxy}
	api := HAProxyTicketAPI{Socket: sock, Ref: filepath.Join(dir, model.HAProxyTicketFile)}
	_, err := d.RotateWithHAProxy(context.Background(), api, RotateOptions{DryRun: true})
	var r *Refusal
	if !errors.As(err, &r) || !strings.Contains(err.Error(), "the runtime API would misread") {
		t.Errorf("dry run: %v, want a refusal naming the ref", err)
	}
	if sent := cmds(); len(sent) != 0 {
		// Never the commands themselves: set ssl tls-key carries a key.
		t.Errorf("%d commands were sent, the first one starting %q", len(sent), strings.Join(strings.Fields(sent[0])[:2], " "))
	}
}
