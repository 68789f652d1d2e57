package rotate

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/model"
)

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000000000000000000001000000:0050": "[::1]:80",
		"0000000000000000FFFF00000100007F:270F": "[::ffff:127.0.0.1]:9999",
	} {
		got, err := parseProcAddr(in)
		if err != nil || got != netip.MustParseAddrPort(want) {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

// A runtime-API socket in a directory another user may write is not
// trusted with a key: nothing is sent to it.
func TestRuntimeAPISocketInADirectoryOthersCanWriteGetsNothing(t *testing.T) {
	sock, cmds := fakeRuntime(t, func(string) string { return "" })
	os.Chmod(filepath.Dir(sock), 0o777)
	api := HAProxyTicketAPI{Socket: sock, Ref: "/etc/haproxy/keys"}
	k, _ := model.ParseTicketKey(model.TicketHAProxy, seqBytes(80, 3))
	err := api.Push(context.Background(), k)
	if err == nil || !strings.Contains(err.Error(), "refusing to send keys") || !strings.Contains(err.Error(), "writable by group and others") {
		t.Fatalf("push to a socket in a 0777 dir: %v", err)
	}
	if sent := cmds(); len(sent) != 0 {
		t.Fatalf("%d commands reached the socket", len(sent))
	}
}

// A loopback port held by our own socket is HAProxy as we started it; one
// held by another user's (HAProxy down, its port taken) gets nothing.
func TestRuntimeAPIPortHeldByAnotherUserGetsNothing(t *testing.T) {
	ours, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	got := make(chan string, 1)
	go func() {
		for {
			c, err := ours.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			got <- line
			c.Write([]byte("# id secret\n\n"))
			c.Close()
		}
	}()
	_, err = (HAProxyTicketAPI{Socket: ours.Addr().String(), Ref: "/k"}).Names(context.Background())
	if err != nil && strings.Contains(err.Error(), "refusing") {
		t.Fatalf("our own listener refused: %v", err)
	}
	select {
	case line := <-got:
		if !strings.HasPrefix(line, "show tls-keys /k") {
			t.Fatalf("our listener got %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached our own listener")
	}

	if os.Geteuid() != 0 {
		t.Skip("needs root to run a listener as another user")
	}
	socat, err := exec.LookPath("socat")
	if err != nil {
		t.Skip("needs socat for a listener run as another user")
	}
	port := freeLoopbackPort(t)
	loot := filepath.Join(t.TempDir(), "loot")
	cmd := exec.Command(socat, "-u", "TCP-LISTEN:"+strconv.Itoa(port)+",bind=127.0.0.1,reuseaddr,fork", "CREATE:"+loot)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	os.Chmod(filepath.Dir(loot), 0o777)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(5 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("socat did not listen")
		}
		time.Sleep(20 * time.Millisecond)
	}
	k, _ := model.ParseTicketKey(model.TicketHAProxy, seqBytes(80, 4))
	err = HAProxyTicketAPI{Socket: addr, Ref: "/k"}.Push(context.Background(), k)
	if err == nil || !strings.Contains(err.Error(), "is held by uid "+strconv.Itoa(nobody)) {
		t.Fatalf("push to another user's port: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if b, _ := os.ReadFile(loot); len(b) != 0 {
		t.Fatalf("the other user's listener received %d bytes", len(b))
	}
}

func freeLoopbackPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
