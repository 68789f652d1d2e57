package rotate

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/model"
)

// ticketCrashEnv names the key dir a re-executed test binary rotates in a
// loop until the parent SIGKILLs it (format in ticketCrashFormatEnv).
const (
	ticketCrashEnv       = "CERTDECK_TICKET_CRASH_CHILD"
	ticketCrashFormatEnv = "CERTDECK_TICKET_CRASH_FORMAT"
)

// TestTicketCrashChild is not a test: it is the process
// TestTicketCrashMidRotationKeepsEveryKeyThatMatters kills. It prints
// "ready", then after each rotation "rotated CURRENT NEXT".
func TestTicketCrashChild(t *testing.T) {
	dir := os.Getenv(ticketCrashEnv)
	if dir == "" {
		t.Skip("helper process of TestTicketCrashMidRotationKeepsEveryKeyThatMatters")
	}
	d := &TicketDir{Dir: dir, Format: model.TicketFormat(os.Getenv(ticketCrashFormatEnv))}
	fmt.Println("ready")
	for {
		res, err := d.Rotate(context.Background(), RotateOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(1)
		}
		fmt.Printf("rotated %s %s\n", res.After[model.RoleCurrent], res.After[model.RoleNext])
	}
}

const ticketCrashRuns = 120

// TestTicketCrashMidRotationKeepsEveryKeyThatMatters SIGKILLs rotating
// processes at random points. After every kill each file is whole (every
// key parses: nothing truncated or missing), the dir still holds the key
// that was encrypting before the rotation and the one that encrypts after
// it, and it encrypts with one of those two; the next rotation finishes an
// interrupted one and leaves no temp file behind.
func TestTicketCrashMidRotationKeepsEveryKeyThatMatters(t *testing.T) {
	for _, f := range []model.TicketFormat{model.TicketNginx80, model.TicketHAProxy} {
		t.Run(string(f), func(t *testing.T) { crashRotations(t, f) })
	}
}

func crashRotations(t *testing.T, f model.TicketFormat) {
	d := &TicketDir{Dir: t.TempDir(), Format: f}
	mustInit(t, d)
	set, _ := loadSet(t, d)
	cur, next := set.Current.Name(), set.Next.Name()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	interrupted, leftovers, rotations := 0, 0, 0
	for run := range ticketCrashRuns {
		cmd := exec.Command(exe, "-test.run=^TestTicketCrashChild$")
		cmd.Env = append(os.Environ(), ticketCrashEnv+"="+d.Dir, ticketCrashFormatEnv+"="+string(f))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		select {
		case l := <-lines:
			if l != "ready" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("run %d: child said %q", run, l)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("run %d: child never became ready", run)
		}
		time.Sleep(time.Duration(rand.IntN(20000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		// Every line the child wrote before it died: the last is the last
		// rotation it saw complete.
		for l := range lines {
			if fields := strings.Fields(l); len(fields) == 3 && fields[0] == "rotated" {
				cur, next = fields[1], fields[2]
				rotations++
			}
		}
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("run %d: child exited on its own instead of being killed", run)
		}
		mid, facts := LoadTicketDir(d.Dir, d.Format, time.Now())
		if !mid.Complete() {
			t.Fatalf("run %d: after the kill the dir does not hold three whole keys: %v", run, facts.Findings)
		}
		names := map[string]bool{mid.Current.Name(): true, mid.Next.Name(): true, mid.Previous.Name(): true}
		if !names[cur] || !names[next] {
			t.Fatalf("run %d: the dir lost the key that encrypted (%s) or the one next to (%s)", run, cur, next)
		}
		if c := mid.Current.Name(); c != cur && c != next {
			t.Fatalf("run %d: encrypting with %s, neither the old current nor the old next", run, c)
		}
		if len(ticketLeftovers(t, d.Dir)) > 0 {
			leftovers++
		}
		// The next writer (here, this process) repairs and moves on.
		res := mustRotate(t, d)
		if res.Finished != "" {
			interrupted++
			if res.After[model.RoleCurrent] != next {
				t.Fatalf("run %d: finishing the interrupted rotation made %s current, want %s", run, res.After[model.RoleCurrent], next)
			}
		}
		if l := ticketLeftovers(t, d.Dir); len(l) > 0 {
			t.Fatalf("run %d: leftovers after the next rotation: %v", run, l)
		}
		cur, next = res.After[model.RoleCurrent], res.After[model.RoleNext]
	}
	t.Logf("%s: %d SIGKILLed rotators (%d rotations completed by them): every file whole and both keys that matter present after every kill; %d kills interrupted a rotation (finished by the next run), %d left temp files (removed by the next run)",
		f, ticketCrashRuns, rotations, interrupted, leftovers)
	if interrupted+leftovers == 0 {
		t.Error("no kill landed mid-rotation: the test did not exercise a crash")
	}
}
