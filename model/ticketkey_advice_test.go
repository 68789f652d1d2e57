package model

import (
	"bytes"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var octalEscape = regexp.MustCompile(`\\[0-7]{3}`)

// unfstab decodes an fstab field as getmntent(3) does: \NNN octal.
func unfstab(t *testing.T, field string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(field); i++ {
		if field[i] == '\\' && i+4 <= len(field) {
			if n, err := strconv.ParseUint(field[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(field[i])
	}
	return b.String()
}

// TestTmpfsAdviceQuotesTheDirForAShellAndForFstab: the mount command's
// dir, pasted into a shell, is the dir and runs nothing; the fstab line's
// dir is one field (no blank, newline or raw backslash) that getmntent
// decodes to the dir.
func TestTmpfsAdviceQuotesTheDirForAShellAndForFstab(t *testing.T) {
	for _, dir := range []string{
		"/run/tickets",
		"/x/a b;\ninclude /tmp/evil",
		"/srv/t/$(id>&2)",
		"/srv/t/a\tb\\c it's",
	} {
		advice := TmpfsAdvice(dir)
		_, rest, _ := strings.Cut(advice, "tmpfs -o size=1m,mode=0700,noswap tmpfs ")
		word, _, _ := strings.Cut(rest, " (noswap needs")
		if word != ShellWords(dir) {
			t.Errorf("mount word %q, want %q", word, ShellWords(dir))
		}
		if strings.HasPrefix(word, `"`) {
			t.Errorf("mount word %q is double-quoted: a shell expands $(…) in it", word)
		}
		if sh, err := exec.LookPath("bash"); err == nil {
			cmd := exec.Command(sh, "-c", "printf %s "+word)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			if err := cmd.Run(); err != nil || out.String() != dir || stderr.Len() > 0 {
				t.Errorf("bash reads %s as %q (%v, stderr %q), want %q", word, out.String(), err, stderr.String(), dir)
			}
		}
		_, rest, _ = strings.Cut(advice, `the fstab line "tmpfs `)
		field, _, _ := strings.Cut(rest, " tmpfs size=1m")
		if strings.ContainsAny(octalEscape.ReplaceAllString(field, ""), " \t\n\\") {
			t.Errorf("fstab field %q: blanks, newlines and backslashes must be octal escapes", field)
		}
		if got := unfstab(t, field); got != dir {
			t.Errorf("fstab field %q decodes to %q, want %q", field, got, dir)
		}
	}
	if got, want := FstabField("/a b\tc\nd\\e"), `/a\040b\011c\012d\134e`; got != want {
		t.Errorf("FstabField = %q, want %q", got, want)
	}
}
