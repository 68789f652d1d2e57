package probetest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Workers are the PIDs of this master's children now: its worker
// processes (and, right after a reload, the old ones still finishing).
func (n *Nginx) Workers() []int {
	master := n.cmd.Process.Pid
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid …: comm may hold spaces, so split after ')'.
		rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == master {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			out = append(out, pid)
		}
	}
	return out
}

// AwaitWorkersGone waits until none of old is a worker of this master.
// After a reload nginx's old workers go on accepting connections for up
// to ~100 ms (measured for the hitless test), so a test that must reach
// only the new configuration waits for them.
func (n *Nginx) AwaitWorkersGone(old []int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		now := n.Workers()
		if !slices.ContainsFunc(old, func(pid int) bool { return slices.Contains(now, pid) }) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nginx: old workers %v still running after %v", old, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
