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

// Rows as the kernel prints them: a timewait row (the listener accepted
// and hung up at once) says uid 0, which must not pass for root holding
// the port. A connection not yet accepted, a request sock and a closed
// socket still sending have no inode but carry the listener's uid.
func TestScanTCPTableJudgesTheRowState(t *testing.T) {
	const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	rows := map[string]struct {
		line string
		want socketOwner
	}{
		"established":  {"   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000 65534        0 123456 1 0000000000000000 20 4 30 10 -1", socketOwner{found: true, uid: 65534}},
		"time-wait":    {"   1: 0100007F:1F90 0100007F:D431 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000", socketOwner{found: true, closed: true}},
		"fin-wait2 tw": {"   2: 0100007F:1F90 0100007F:D431 05 00000000:00000000 03:00000BB8 00000000     0        0 0 3 0000000000000000", socketOwner{found: true, closed: true}},
		"orphaned":     {"   5: 0100007F:1F90 0100007F:D431 04 00000000:00000000 01:00000014 00000000 65534        0 0 2 0000000000000000 20 4 30 10 -1", socketOwner{found: true, uid: 65534}},
		"not accepted": {"   6: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000 65534        0 0 1 0000000000000000 20 4 30 10 -1", socketOwner{found: true, uid: 65534}},
		"syn-recv":     {"   3: 0100007F:1F90 0100007F:D431 03 00000000:00000000 01:00000064 00000000 65534        0 0 1 0000000000000000", socketOwner{found: true, uid: 65534}},
		"other conn":   {"   4: 0100007F:1F90 0100007F:D432 01 00000000:00000000 00:00000000 00000000     0        0 123457 1 0000000000000000 20 4 30 10 -1", socketOwner{}},
	}
	local := netip.MustParseAddrPort("127.0.0.1:8080")
	remote := netip.MustParseAddrPort("127.0.0.1:54321")
	for name, row := range rows {
		got, err := scanTCPTable(bufio.NewScanner(strings.NewReader(header+row.line+"\n")), local, remote)
		if err != nil || got != row.want {
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, row.want)
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
	// socat picks its own port (a port chosen here and handed over could
	// be taken meanwhile by a listener of a test running in parallel);
	// its port is read back from the socket its process holds.
	// The file socat writes must be where nobody can reach it: a socat
	// that cannot create it hangs up at once, and then the refusal under
	// test is not the one reached.
	lootDir, err := os.MkdirTemp("", "certdeck-loot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(lootDir) })
	os.Chmod(lootDir, 0o777)
	loot := filepath.Join(lootDir, "loot")
	cmd := exec.Command(socat, "-u", "TCP-LISTEN:0,bind=127.0.0.1,fork", "CREATE:"+loot)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var port int
	for deadline := time.Now().Add(5 * time.Second); port == 0; {
		port = listeningPort(t, cmd.Process.Pid)
		if port == 0 && time.Now().After(deadline) {
			t.Fatal("socat did not listen")
		}
		time.Sleep(20 * time.Millisecond)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
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

// listeningPort is the port of the TCP socket process pid listens on
// (0: none yet), found by the inode of one of its descriptors.
func listeningPort(t *testing.T, pid int) int {
	fds, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "fd", "*"))
	inodes := map[string]bool{}
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
			continue
		}
		if ap, err := parseProcAddr(f[1]); err == nil {
			return int(ap.Port())
		}
	}
	return 0
}
