package themes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinsAreValidAndComplete(t *testing.T) {
	for _, name := range BuiltinNames() {
		th, ok := Builtin(name)
		if !ok || th.Name != name {
			t.Fatalf("builtin %q not found", name)
		}
		if err := th.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if NewStyles(th) == nil {
			t.Errorf("%s: no styles", name)
		}
	}
	for _, want := range []string{ANSI, Dark, Light, HighContrast, Mono} {
		if _, ok := Builtin(want); !ok {
			t.Errorf("missing built-in %q", want)
		}
	}
}

func writeTheme(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPickPrecedence(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "ocean", "base: dark\naccent: \"#00aaff\"\n")
	tests := []struct {
		name        string
		c           Choice
		want        string
		wantDecided bool
	}{
		{"flag beats everything", Choice{Flag: "light", NoColor: "1", Config: "dark"}, "light", true},
		{"NO_COLOR beats config", Choice{NoColor: "1", Config: "dark"}, "mono", true},
		{"config when no flag", Choice{Config: "high-contrast"}, "high-contrast", true},
		{"user theme from config", Choice{Config: "ocean", Dir: dir}, "ocean", true},
		{"default undecided", Choice{}, "ansi", false},
		{"empty NO_COLOR is unset", Choice{NoColor: ""}, "ansi", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			if c.Dir == "" {
				c.Dir = dir
			}
			th, decided, err := Pick(c)
			if err != nil {
				t.Fatal(err)
			}
			if th.Name != tt.want || decided != tt.wantDecided {
				t.Fatalf("got %q decided=%v, want %q decided=%v", th.Name, decided, tt.want, tt.wantDecided)
			}
		})
	}
}

func TestUserThemeInheritsBaseAndOverrides(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "ocean", "base: dark\naccent: \"#00aaff\"\n")
	th, err := LoadUser(dir, "ocean")
	if err != nil {
		t.Fatal(err)
	}
	dark, _ := Builtin(Dark)
	if th.Accent != "#00aaff" || th.Crit != dark.Crit {
		t.Fatalf("accent %q crit %q; want own accent and dark's crit %q", th.Accent, th.Crit, dark.Crit)
	}
}

func TestUserThemeErrorsAreClear(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"unknown key", "acent: \"1\"\n", "field acent not found"},
		{"bad hex", "ok: \"#12345\"\n", `colour "#12345"`},
		{"index out of range", "warn: \"300\"\n", "palette index 0-255"},
		{"unknown base", "base: neon\n", `base "neon" is not a built-in`},
		{"not a mapping", "- a\n- b\n", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTheme(t, dir, "bad", tt.body)
			_, err := LoadUser(dir, "bad")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "bad.yaml") {
				t.Fatalf("error %v does not name the file", err)
			}
		})
	}
}

func TestThemeNamesCannotLeaveTheDirectory(t *testing.T) {
	for _, name := range []string{"../etc/passwd", "a/b", ".hidden", ""} {
		if _, err := Named(name, t.TempDir()); err == nil {
			t.Errorf("theme name %q accepted", name)
		}
	}
}

func TestMonoSelectionUsesReverseVideo(t *testing.T) {
	mono, _ := Builtin(Mono)
	if !NewStyles(mono).Selected.GetReverse() {
		t.Fatal("mono selection is not reverse video: the cursor row would be invisible")
	}
}

func FuzzParseUser(f *testing.F) {
	f.Add([]byte("base: dark\nok: \"#00ff00\"\n"))
	f.Add([]byte("text: \"7\"\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := ParseUser(data)
		if err == nil {
			if verr := th.Validate(); verr != nil {
				t.Fatalf("accepted a theme that does not validate: %v", verr)
			}
			NewStyles(th)
		}
	})
}
