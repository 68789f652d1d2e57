package rotate

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Environment of the crash child: a test binary re-executed to publish in a
// loop until the parent SIGKILLs it.
const (
	crashChildEnv = "CERTDECK_ROTATE_CRASH_CHILD" // store dir
	crashPairsEnv = "CERTDECK_ROTATE_CRASH_PAIRS" // dir of pairN.pem/keyN.pem/ca.pem
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir, os.Getenv(crashPairsEnv)))
	}
	os.Exit(m.Run())
}

// crashChild publishes forever, cycling the pre-minted pairs. It prints
// "ready" once set up so the parent times its kill from the first publish,
// not from process start-up.
func crashChild(storeDir, pairsDir string) int {
	ca, err := os.ReadFile(filepath.Join(pairsDir, "ca.pem"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var ins []Inputs
	for i := 0; ; i++ {
		full, err1 := os.ReadFile(filepath.Join(pairsDir, "full"+strconv.Itoa(i)+".pem"))
		key, err2 := os.ReadFile(filepath.Join(pairsDir, "key"+strconv.Itoa(i)+".pem"))
		if err1 != nil || err2 != nil {
			break
		}
		ins = append(ins, Inputs{Fullchain: full, Key: key, CA: ca, Source: "crash-child"})
	}
	if len(ins) == 0 {
		fmt.Fprintln(os.Stderr, "crash child: no pairs")
		return 2
	}
	s := &Store{Dir: storeDir, AuditLog: "-", PruneGrace: -1}
	fmt.Println("ready")
	for i := rand.IntN(len(ins)); ; i++ {
		if _, err := s.Publish(context.Background(), "crash", ins[i%len(ins)]); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			return 1
		}
	}
}

// crashRuns is how many children are killed mid-publish.
const crashRuns = 200

func TestCrashMidPublishLeavesCurrentComplete(t *testing.T) {
	pairs := mintPairs(t, 3)
	pairsDir := t.TempDir()
	os.WriteFile(filepath.Join(pairsDir, "ca.pem"), fixtures.root.RootPEM(), 0o644)
	for i, p := range pairs {
		os.WriteFile(filepath.Join(pairsDir, "full"+strconv.Itoa(i)+".pem"), p.FullchainPEM(), 0o644)
		os.WriteFile(filepath.Join(pairsDir, "key"+strconv.Itoa(i)+".pem"), p.KeyPEM(), 0o600)
	}
	s := newTestStore(t)
	s.AuditLog = "-"
	dir := s.BundleDir("crash")
	mustPublish(t, s, "crash", inputsFor(pairs[0]))

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sawLeftovers := 0
	for run := range crashRuns {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+s.Dir, crashPairsEnv+"="+pairsDir)
		// Anywhere from before the first publish to a few publishes in.
		killWhenReady(t, run, cmd, 25*time.Millisecond)
		checkCurrentComplete(t, dir)
		if len(leftovers(t, dir)) > 0 {
			sawLeftovers++
		}
	}

	mustPublish(t, s, "crash", inputsFor(pairs[1]))
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("leftovers after the next publish: %v", l)
	}
	// Every version directory, made current or not, is complete: a crash
	// between rename and swap leaves a whole version, never a partial one.
	vs, _ := listVersions(dir)
	for _, name := range vs {
		v, err := openVersion(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loadVersion(v); err != nil {
			t.Errorf("version %s incomplete: %v", name, err)
		}
		v.Close()
	}
	t.Logf("%d SIGKILLed publishers: current always complete; %d kills left leftovers, all removed by the next publish; %d versions published",
		crashRuns, sawLeftovers, versionNumber(vs[len(vs)-1]))
	if sawLeftovers == 0 {
		t.Error("no kill landed mid-publish (no leftovers ever seen): the test did not exercise a crash")
	}
}

// killWhenReady starts cmd, a child test that prints "ready" once it is
// about to write, waits for that line, lets it run up to maxDelay (a
// random moment in its writes) and SIGKILLs it, failing unless the kill
// is what ended it.
func killWhenReady(t *testing.T, run int, cmd *exec.Cmd, maxDelay time.Duration) {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line == "ready\n"
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("run %d: child failed to start", run)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("run %d: child never became ready", run)
	}
	time.Sleep(time.Duration(rand.Int64N(int64(maxDelay))))
	cmd.Process.Signal(syscall.SIGKILL)
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("run %d: child exited on its own (%v) instead of being killed", run, err)
	}
}
