package themes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// userFile is the schema of a user theme: an optional base (a built-in
// theme whose tokens fill what the file leaves out) and any tokens.
type userFile struct {
	Base  string `yaml:"base"`
	Theme `yaml:",inline"`
}

// maxThemeSize bounds a theme file: a dozen lines, not megabytes.
const maxThemeSize = 64 << 10

// validName keeps theme names to plain file names, so --theme can never
// reach outside the themes directory.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Dir is where user themes live: $XDG_CONFIG_HOME/certdeck/themes.
func Dir(configDir string) string { return filepath.Join(configDir, "themes") }

// LoadUser reads dir/NAME.yaml. Unknown keys and malformed colours are
// errors naming the file and line.
func LoadUser(dir, name string) (Theme, error) {
	if !validName.MatchString(name) {
		return Theme{}, fmt.Errorf("theme %q: names are letters, digits, '-', '_' and '.'", name)
	}
	path := filepath.Join(dir, name+".yaml")
	f, err := os.Open(path)
	if err != nil {
		return Theme{}, fmt.Errorf("theme %q: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxThemeSize+1))
	if err != nil {
		return Theme{}, fmt.Errorf("read theme %s: %w", path, err)
	}
	if len(data) > maxThemeSize {
		return Theme{}, fmt.Errorf("theme %s: larger than %d KiB", path, maxThemeSize>>10)
	}
	t, err := ParseUser(data)
	if err != nil {
		return Theme{}, fmt.Errorf("theme %s: %w", path, err)
	}
	t.Name = name
	return t, nil
}

// ParseUser decodes a theme file strictly.
func ParseUser(data []byte) (Theme, error) {
	var uf userFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&uf); err != nil && !errors.Is(err, io.EOF) {
		return Theme{}, err
	}
	if err := uf.Theme.Validate(); err != nil {
		return Theme{}, err
	}
	if uf.Base == "" {
		return uf.Theme, nil
	}
	base, ok := Builtin(uf.Base)
	if !ok {
		return Theme{}, fmt.Errorf("base %q is not a built-in theme (want one of %v)", uf.Base, BuiltinNames())
	}
	// Tokens the file sets win; the rest come from the base.
	own := uf.Theme.tokens()
	for name, c := range base.tokens() {
		if *own[name] == "" {
			*own[name] = *c
		}
	}
	uf.Theme.Mono = base.Mono
	return uf.Theme, nil
}
