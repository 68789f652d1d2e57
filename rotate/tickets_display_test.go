package rotate

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"certdeck/model"
)

// hostileDirs are key dir names an operator (or a config) may hand over:
// one that ends the line and starts a directive of its own, one a double-
// quoted shell word would run a command from.
var hostileDirs = []string{
	"/x/a b;\ninclude /tmp/evil",
	"/srv/t/$(id>&2)",
	"/srv/t/`id>&2` it's \"q\" \\ \t\x1b[31m",
}

// TestTicketResultNamesItsDirOnOneLine: a dir holding a newline is shown
// sanitised, on the line that names it, in every outcome Describe writes.
func TestTicketResultNamesItsDirOnOneLine(t *testing.T) {
	dir := hostileDirs[0]
	for _, r := range []TicketResult{
		{Action: "init", Dir: dir, Format: model.TicketNginx80},
		{Action: "init", Dir: dir, Format: model.TicketNginx80, Unchanged: true},
		{Action: "convert", Dir: dir, From: dir, Format: model.TicketHAProxy, FromFormat: model.TicketNginx80},
		{Action: "rotate", Dir: dir, Format: model.TicketNginx80},
		{Action: "rotate", Dir: dir, Format: model.TicketNginx80, Finished: "finished an interrupted rotation"},
	} {
		got := model.SanitizeLines(r.Describe()) // as the CLI prints it
		first, _, _ := strings.Cut(got, "\n")
		if strings.Contains(got, "\ninclude") || !strings.Contains(first, model.Sanitize(dir)) {
			t.Errorf("%s: %q: want the dir sanitised on the first line", r.Action, got)
		}
	}
}

// TestConvertHintIsAShellCommandThatRunsNothingElse: the hint `tickets
// show --haproxy` gives for nginx keys, pasted into a shell, passes the
// dir as one word and runs no command it holds.
func TestConvertHintIsAShellCommandThatRunsNothingElse(t *testing.T) {
	sh := dollarQuoteShell(t)
	for _, dir := range hostileDirs {
		_, err := TicketConfigLines(dir, model.TicketNginx80, "haproxy")
		if err == nil {
			t.Fatal("want an error naming the conversion")
		}
		_, hint, ok := strings.Cut(err.Error(), "convert them: ")
		if !ok || !strings.HasPrefix(hint, "certdeck tickets convert --dir '") && !strings.HasPrefix(hint, "certdeck tickets convert --dir $'") {
			t.Fatalf("hint %q: want the dir single-quoted", err)
		}
		cmd := exec.Command(sh, "-c", `certdeck() { printf '%s\0' "$@"; }; `+hint)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
		cmd.Dir = t.TempDir()
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Fatalf("%s -c %q: %v, stderr %q", sh, hint, err, stderr.String())
		}
		got := strings.Split(strings.TrimSuffix(out.String(), "\x00"), "\x00")
		want := []string{"tickets", "convert", "--dir", filepath.Clean(dir), "--format", "nginx80", "--to", "DIR", "--to-format", "haproxy"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("the pasted hint %q is argv %q, want %q", hint, got, want)
		}
	}
}

// TestMemoryFSWarningNamesItsDirOnOneLine: the tmpfs advice after init or
// convert names a dir holding a newline without one.
func TestMemoryFSWarningNamesItsDirOnOneLine(t *testing.T) {
	const ext4 = 0xef53
	w := memoryFSWarning(model.TicketDirRead{Dir: hostileDirs[0], FSKnown: true, FSMagic: ext4})
	if len(w) != 1 || strings.ContainsAny(w[0], "\n\t") {
		t.Errorf("warning %q: want one line", w)
	}
}
