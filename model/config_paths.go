package model

import (
	"fmt"
	"os"
	"path/filepath"
)

// ConfigPath returns the config file to read: the flag, then
// $CERTDECK_CONFIG, then $XDG_CONFIG_HOME/certdeck/config.yaml (or
// ~/.config/certdeck/config.yaml). explicit reports whether the user named
// it, in which case a missing file is an error rather than "no config".
// err is set only when the default is needed and cannot be located (see
// ConfigDir).
func ConfigPath(flag string) (path string, explicit bool, err error) {
	if flag != "" {
		return flag, true, nil
	}
	if env := os.Getenv("CERTDECK_CONFIG"); env != "" {
		return env, true, nil
	}
	dir, err := ConfigDir()
	if err != nil {
		return "", false, err
	}
	return filepath.Join(dir, "config.yaml"), false, nil
}

// ConfigDir is $XDG_CONFIG_HOME/certdeck, defaulting to ~/.config/certdeck.
// With neither an absolute $XDG_CONFIG_HOME nor $HOME it is an error, not
// a directory relative to wherever certdeck happens to run.
func ConfigDir() (string, error) {
	return xdgDir("XDG_CONFIG_HOME", ".config", "config")
}

// StateDir is $XDG_STATE_HOME/certdeck (the audit log lives there),
// defaulting to ~/.local/state/certdeck; an error when neither an absolute
// $XDG_STATE_HOME nor $HOME is set, or when $HOME does not exist: state is
// written there, and creating a missing home (/nonexistent is the home of
// system accounts, and must stay absent) is not certdeck's to do.
func StateDir() (string, error) {
	dir, err := xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state"), "state")
	if err != nil || filepath.IsAbs(os.Getenv("XDG_STATE_HOME")) {
		return dir, err
	}
	home := os.Getenv("HOME")
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("cannot locate the state directory: $HOME %s is not an existing directory and $XDG_STATE_HOME is not set; certdeck does not create a home", home)
	}
	return dir, nil
}

// xdgDir applies the XDG base-directory rule: an absolute $env, else
// $HOME/fallback. The spec says relative values are invalid and must be
// ignored; a relative result would scatter files into the working
// directory, so with no usable $HOME the answer is an error.
func xdgDir(env, fallback, what string) (string, error) {
	if base := os.Getenv(env); filepath.IsAbs(base) {
		return filepath.Join(base, "certdeck"), nil
	}
	home := os.Getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", fmt.Errorf("cannot locate the %s directory: $HOME is not set (or not an absolute path) and neither is $%s; set one of them", what, env)
	}
	return filepath.Join(home, fallback, "certdeck"), nil
}
