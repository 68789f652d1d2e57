package rotate

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// dialRuntimeAPI connects to HAProxy's runtime API and makes sure what
// answers is HAProxy as root (or the user certdeck runs as) set it up,
// before anything is sent: `set ssl cert` carries a private key and `set
// ssl tls-key` a ticket key, and any local user could otherwise be the
// one listening.
//
//   - A unix socket must be a socket (not a link) in a directory that
//     passes the store's StrictModes rule with no sticky exemption
//     (checkDirChain): then only root or we could have bound that path.
//   - A loopback TCP port must be held by a socket root or we own: when
//     HAProxy is down, any user may bind its port. The accepted
//     connection's owner is read from /proc/net/tcp{,6} after connecting,
//     so the check is of this connection, not of a listener found before.
func dialRuntimeAPI(ctx context.Context, network, addr string) (net.Conn, error) {
	if network == "unix" {
		if err := checkRuntimeSocketPath(addr); err != nil {
			return nil, err
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if network == "tcp" {
		if err := checkTCPPeerOwner(conn); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// checkRuntimeSocketPath judges a unix socket path before connecting
// (and before an action changes anything: haproxyReload.Preflight). Its
// errors say why and what fixes it: the StrictModes rule's own reason
// (planted links) is not this one's.
func checkRuntimeSocketPath(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no socket at %s: is HAProxy running, with `stats socket %s … level admin` in its global section?", path, path)
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("%s is not a unix socket (%s): certdeck sends keys only to a socket it can trust", path, fi.Mode().Type())
	}
	dir := filepath.Dir(path)
	err = checkDirChain("its directory "+dir, dir)
	var unsafe *StoreSafetyError
	if errors.As(err, &unsafe) {
		return fmt.Errorf("refusing to send keys to %s: %s %s, so another user could bind a socket of their own at that path and receive the keys meant for HAProxy; fix: %s", path, unsafe.Path, unsafe.Problem, unsafe.Fix)
	}
	if err != nil {
		return fmt.Errorf("refusing to send keys to %s: %w", path, err)
	}
	return nil
}

// checkTCPPeerOwner finds conn's other end, the socket HAProxy accepted,
// in /proc/net/tcp or tcp6 and refuses an owner other than root or us.
func checkTCPPeerOwner(conn net.Conn) error {
	local, lok := conn.LocalAddr().(*net.TCPAddr)
	remote, rok := conn.RemoteAddr().(*net.TCPAddr)
	if !lok || !rok {
		return nil
	}
	owner, err := tcpSocketOwner(remote.AddrPort(), local.AddrPort())
	if err != nil {
		return fmt.Errorf("runtime API %s: who answers: %w", remote, err)
	}
	if !owner.found {
		return fmt.Errorf("runtime API %s: the accepting socket is not in /proc/net/tcp: refusing to send keys to an unknown listener", remote)
	}
	if owner.closed {
		return fmt.Errorf("runtime API %s closed the connection as soon as it was made (no process holds its end): refusing to send keys to a listener that cannot be identified", remote)
	}
	uid := owner.uid
	if uid != 0 && uid != os.Geteuid() {
		return fmt.Errorf("runtime API %s is held by uid %d (%s), not root or the user certdeck runs as: refusing to send keys (another user may have taken HAProxy's port)", remote, uid, userName(uid))
	}
	return nil
}

// socketOwner is what /proc/net/tcp says of one connection's end.
type socketOwner struct {
	found bool
	// closed: the end belongs to no process any more (TIME_WAIT, or
	// closed and orphaned). The kernel prints uid 0 for a timewait row,
	// which is not root holding it: such a row proves nothing.
	closed bool
	uid    int
}

// tcpSocketOwner is the owner of the socket whose local address is local
// and remote address remote, from /proc/net/tcp and /proc/net/tcp6.
func tcpSocketOwner(local, remote netip.AddrPort) (socketOwner, error) {
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return socketOwner{}, err
		}
		owner, err := scanTCPTable(bufio.NewScanner(f), local, remote)
		f.Close()
		if err != nil || owner.found {
			return owner, err
		}
	}
	return socketOwner{}, nil
}

// A timewait row (include/net/tcp_states.h; net/ipv4/tcp_ipv4.c,
// get_timewait4_sock) is in state TIME_WAIT, or FIN_WAIT2 for a socket
// closed before its peer, and always carries timer kind 3.
const (
	procTCPTimeWait   = "06"
	procTCPTimerTWait = "03:"
)

// scanTCPTable reads one /proc/net/tcp table:
// "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...",
// addresses in hex, IPv4 as one little-endian word, IPv6 as four.
func scanTCPTable(sc *bufio.Scanner, local, remote netip.AddrPort) (socketOwner, error) {
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		l, lerr := parseProcAddr(f[1])
		r, rerr := parseProcAddr(f[2])
		if lerr != nil || rerr != nil || !sameAddrPort(l, local) || !sameAddrPort(r, remote) {
			continue
		}
		// Inode 0 alone means nothing: a connection still in the
		// listener's accept queue has none yet, and its uid is the
		// listener's, which is what is being asked.
		if f[3] == procTCPTimeWait || strings.HasPrefix(f[5], procTCPTimerTWait) {
			return socketOwner{found: true, closed: true}, nil
		}
		uid, err := strconv.Atoi(f[7])
		if err != nil {
			return socketOwner{}, fmt.Errorf("uid %q: %w", f[7], err)
		}
		return socketOwner{found: true, uid: uid}, nil
	}
	return socketOwner{}, sc.Err()
}

func sameAddrPort(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap() == b.Addr().Unmap()
}

// parseProcAddr parses "0100007F:1F90" (127.0.0.1:8080) and its 32-digit
// IPv6 form.
func parseProcAddr(s string) (netip.AddrPort, error) {
	host, port, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	raw, err := hex.DecodeString(host)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	// Each 32-bit word is in host (little-endian) order.
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr, uint16(p)), nil
}
