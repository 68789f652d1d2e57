package model

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadRegularFileRefusesSpecialFilesWithoutHanging(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ca.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, want string }{
		{"fifo (no writer: a blocking open would hang)", fifo, "a FIFO (named pipe), not a regular file"},
		{"directory", dir, "a directory, not a regular file"},
		{"character device", "/dev/null", "a character device, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ReadRegularFile(tt.path, "ca file", 1<<20)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "ca file") {
					t.Fatalf("err = %v, want it to name the ca file and say %q", err, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("ReadRegularFile hung on a special file")
			}
		})
	}
}

func TestReadRegularFileCapsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.pem")
	if err := os.WriteFile(path, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRegularFile(path, "config", 1024); err == nil || !strings.Contains(err.Error(), "larger than the 1 KiB limit") {
		t.Fatalf("err = %v, want a size-limit error", err)
	}
	data, err := ReadRegularFile(path, "config", 2048)
	if err != nil || len(data) != 2048 {
		t.Fatalf("exactly at the limit: %d bytes, %v", len(data), err)
	}
}

func TestReadRegularFileFollowsSymlinkToRegularFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.pem")
	if err := os.WriteFile(target, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.pem")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadRegularFile(link, "ca file", 10); err != nil || string(data) != "x" {
		t.Fatalf("read through a symlink: %q, %v", data, err)
	}
}

// TestOpenRegularFileNoFollowRefusesASymlink: for files judged by their
// owner and mode once open (a pid file), a link is refused, even one to a
// good regular file, which opens as itself.
func TestOpenRegularFileNoFollowRefusesASymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "server.pid")
	os.WriteFile(real, []byte("1234\n"), 0o644)
	link := filepath.Join(dir, "link.pid")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if f, err := OpenRegularFileNoFollow(link, "pid file"); err == nil || !strings.Contains(err.Error(), "pid file "+link+": a symlink") {
		if f != nil {
			f.Close()
		}
		t.Fatalf("a link: %v, want it refused", err)
	}
	f, err := OpenRegularFileNoFollow(real, "pid file")
	if err != nil {
		t.Fatalf("the file itself: %v", err)
	}
	f.Close()
}

// A name that is not a regular file is refused without being opened: an
// open of a device has effects (a watchdog armed, a tape rewound), and a
// bundle file may be another user's link to one. A FIFO shows it: a
// writer waiting in open(2) is released only when someone opens the
// FIFO for reading.
func TestANonRegularFileIsRefusedWithoutBeingOpened(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("O_PATH is Linux's")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "privkey.pem")
	os.Symlink(fifo, link)
	opened := make(chan struct{})
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		close(opened)
	}()
	time.Sleep(100 * time.Millisecond) // the writer is waiting in open(2) by now
	_, err := ReadRegularFile(link, "key file", 1<<20)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a FIFO behind a link: %v", err)
	}
	select {
	case <-opened:
		t.Fatal("the FIFO was opened for reading before it was refused")
	case <-time.After(200 * time.Millisecond):
	}
	// Release the writer.
	if f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		<-opened
		f.Close()
	}
	if _, err := OpenRegularFileNoFollow(link, "pid file"); err == nil || !strings.Contains(err.Error(), "a symlink, which certdeck does not follow") {
		t.Fatalf("no-follow open of a link: %v", err)
	}
}
