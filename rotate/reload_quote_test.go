package rotate

import (
	"bytes"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"certdeck/model"
)

// shells are the POSIX shells a remote login shell is likely to be, when
// installed here: the round trip through each is the oracle.
func shells(t testing.TB) []string {
	t.Helper()
	var found []string
	for _, sh := range []string{"/bin/sh", "/bin/dash", "/bin/bash", "/bin/zsh", "/bin/ksh"} {
		if fi, err := os.Stat(sh); err == nil && !fi.IsDir() {
			found = append(found, sh)
		}
	}
	if len(found) == 0 {
		t.Skip("no POSIX shell installed")
	}
	return found
}

// throughShell runs `sh -c LINE` as sshd runs a remote command, with LINE
// = remoteCommand(argv) prefixed by a printf that prints every word the
// shell parsed, NUL-terminated, and returns those words.
func throughShell(t testing.TB, sh string, argv []string) []string {
	t.Helper()
	line := remoteCommand(append([]string{"printf", `%s\0`}, argv...))
	cmd := exec.Command(sh, "-c", line)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "X=expanded"}
	cmd.Dir = t.TempDir()
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -c %q: %v (%s)", sh, line, err, stderr.String())
	}
	words := strings.Split(out.String(), "\x00")
	return words[:len(words)-1]
}

var quotingCases = []struct {
	name string
	argv []string
}{
	{"plain", []string{"sudo", "systemctl", "reload", "nginx"}},
	{"spaces", []string{"a b", "  leading and trailing  ", "\ttab"}},
	{"single quotes", []string{"it's", "'", "''", "'a'b'"}},
	{"double quotes", []string{`"quoted"`, `"`, `a"b`}},
	{"expansions", []string{"$HOME", "${X}", "$(id)", "`id`", "$X$X", "~", "~root"}},
	{"separators", []string{";", "a; touch pwned", "&&", "|", "||", "&", "a|b"}},
	{"newlines", []string{"line1\nline2", "\n", "a\n; touch pwned\n"}},
	{"globs and escapes", []string{"*", "?", "[a]", `\`, `\n`, `\'`, "{a,b}", "#comment"}},
	{"redirections", []string{">out", "<in", "2>&1"}},
	{"empty words", []string{"", "x", ""}},
	{"unicode", []string{"héllo wörld", "日本", "\u202e"}},
}

func TestRemoteCommandSurvivesTheRemoteShellUnchanged(t *testing.T) {
	for _, sh := range shells(t) {
		for _, tc := range quotingCases {
			t.Run(sh+"/"+tc.name, func(t *testing.T) {
				got := throughShell(t, sh, tc.argv)
				if !reflect.DeepEqual(got, tc.argv) {
					t.Errorf("%s parsed %q from %q, want %q", sh, got, remoteCommand(tc.argv), tc.argv)
				}
			})
		}
	}
}

func TestRemoteCommandQuotesEveryWord(t *testing.T) {
	if got, want := remoteCommand([]string{"sudo", "it's", ""}), `'sudo' 'it'\''s' ''`; got != want {
		t.Errorf("remoteCommand = %s, want %s", got, want)
	}
}

// dollarQuoteShell is an installed shell that reads $'…' (bash, zsh,
// ksh; dash before 0.5.13 does not): the oracle for what is shown.
func dollarQuoteShell(t testing.TB) string {
	t.Helper()
	for _, sh := range shells(t) {
		if out, err := exec.Command(sh, "-c", `printf %s $'a\nb'`).Output(); err == nil && string(out) == "a\nb" {
			return sh
		}
	}
	t.Skip("no installed shell reads $'…'")
	return ""
}

func TestShellWordsReadsAsTheSameArgv(t *testing.T) {
	for _, sh := range []string{dollarQuoteShell(t)} {
		for _, tc := range quotingCases {
			line := shellWords(append([]string{"printf", `%s\0`}, tc.argv...))
			out, err := exec.Command(sh, "-c", line).Output()
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			got := strings.Split(string(out), "\x00")
			if got = got[:len(got)-1]; !reflect.DeepEqual(got, tc.argv) {
				t.Errorf("shellWords shows %s, which a shell reads as %q, not %q", line, got, tc.argv)
			}
		}
	}
	if got := shellWords([]string{"nginx", "-s", "reload"}); got != "nginx -s reload" {
		t.Errorf("plain words are quoted: %s", got)
	}
}

// TestRemoteCommandShownEscapesWhatTheScreenWouldHide: a newline in a
// word is sent inside single quotes as it is (every POSIX shell reads
// that back), but shown escaped, so the plan neither reads 'line1 line2'
// after the sanitiser nor differs from the argv when pasted.
func TestRemoteCommandShownEscapesWhatTheScreenWouldHide(t *testing.T) {
	argv := []string{"printf", `%s\0`, "line1\nline2", "it's\x1b[31m", "tab\there", "\u202eevil", "plain word"}
	sent, shown := remoteCommand(argv), remoteCommandShown(argv)
	if want := `'printf' '%s\0' 'line1` + "\n" + `line2' 'it'\''s` + "\x1b" + `[31m' 'tab` + "\t" + `here' '` + "\u202e" + `evil' 'plain word'`; sent != want {
		t.Errorf("sent %q, want %q (what is sent must not change)", sent, want)
	}
	if want := `'printf' '%s\0' $'line1\nline2' $'it\'s\x1b[31m' $'tab\there' $'\xe2\x80\xaeevil' 'plain word'`; shown != want {
		t.Errorf("shown %s, want %s", shown, want)
	}
	if model.Sanitize(shown) != shown {
		t.Errorf("the sanitiser changes what is shown: %s", model.Sanitize(shown))
	}
	for what, line := range map[string]string{"sent": sent, "shown": shown} {
		sh := dollarQuoteShell(t)
		if what == "sent" {
			sh = shells(t)[0]
		}
		out, err := exec.Command(sh, "-c", line).Output()
		if err != nil {
			t.Fatalf("%s -c %s: %v", sh, line, err)
		}
		got := strings.Split(string(out), "\x00")
		if got = got[:len(got)-1]; !reflect.DeepEqual(got, argv[2:]) {
			t.Errorf("%s: %s reads %q as %q, want %q", what, sh, line, got, argv[2:])
		}
	}
	steps := (&sshReload{host: "h", port: 22, user: "u", knownHosts: "/k", command: argv}).Steps()
	if !strings.Contains(steps[0].Detail, shown) || strings.Contains(steps[0].Detail, "\n") {
		t.Errorf("the ssh step shows %q, want the escaped line %s", steps[0].Detail, shown)
	}
}

// FuzzRemoteCommand round-trips arbitrary words through /bin/sh -c.
func FuzzRemoteCommand(f *testing.F) {
	for _, tc := range quotingCases {
		f.Add(strings.Join(tc.argv, "\x01"))
	}
	sh := shells(f)[0]
	f.Fuzz(func(t *testing.T, joined string) {
		// NUL cannot be in an argv (NewReload refuses it); any other byte,
		// UTF-8 or not, must come through.
		if strings.IndexByte(joined, 0) >= 0 || len(joined) > 4096 {
			return
		}
		argv := strings.Split(joined, "\x01")
		got := throughShell(t, sh, argv)
		if !reflect.DeepEqual(got, argv) {
			t.Errorf("%s parsed %q from %q, want %q", sh, got, remoteCommand(argv), argv)
		}
	})
}
