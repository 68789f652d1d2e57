package rotate

import (
	"bufio"
	"context"
	"encoding/base64"
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
