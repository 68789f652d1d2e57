package themes

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// Choice is everything that may name a theme, strongest first.
type Choice struct {
	Flag    string // --theme
	NoColor string // $NO_COLOR: any non-empty value asks for no colour
	Config  string // theme: in config.yaml
	Dir     string // user theme directory
}

// Pick resolves a Choice. Precedence: the --theme flag, then NO_COLOR
// (mono), then the config file; when none of them chooses, Pick returns
// the default with decided=false, and the console may still replace it
// with ForBackground once the terminal reports its background colour.
//
// NO_COLOR yields to the flag because no-color.org asks that an explicit
// per-invocation choice override the environment.
func Pick(c Choice) (t Theme, decided bool, err error) {
	switch {
	case c.Flag != "":
		t, err = Named(c.Flag, c.Dir)
		if err != nil {
			return Theme{}, false, fmt.Errorf("--theme: %w", err)
		}
		return t, true, nil
	case c.NoColor != "":
		t, _ = Builtin(Mono)
		return t, true, nil
	case c.Config != "":
		t, err = Named(c.Config, c.Dir)
		if err != nil {
			return Theme{}, false, fmt.Errorf("config theme: %w", err)
		}
		return t, true, nil
	}
	t, _ = Builtin(Default)
	return t, false, nil
}

// Named finds a built-in theme or a user theme file of that name; a user
// file may not shadow a built-in, so "dark" always means the same thing.
func Named(name, dir string) (Theme, error) {
	if t, ok := Builtin(name); ok {
		return t, nil
	}
	if dir == "" {
		return Theme{}, fmt.Errorf("unknown theme %q (built-in: %v)", name, BuiltinNames())
	}
	t, err := LoadUser(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return Theme{}, fmt.Errorf("unknown theme %q: not built in (%v) and no file %s",
			name, BuiltinNames(), filepath.Join(dir, name+".yaml"))
	}
	return t, err
}

// ForBackground picks the built-in matching the terminal's background.
func ForBackground(isDark bool) Theme {
	name := Light
	if isDark {
		name = Dark
	}
	t, _ := Builtin(name)
	return t
}
