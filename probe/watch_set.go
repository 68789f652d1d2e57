package probe

import (
	"path/filepath"
)

// watchSet is what one bundle read depended on: directories to watch and,
// in each, the entries whose change matters (all of them for the bundle's
// own directory; only the link or file for a shared parent like /etc).
// Directories are stored as real paths (symlinks resolved) because that is
// where inotify attaches and how fsnotify names the events.
type watchSet struct {
	dirs map[string]*dirInterest
}

type dirInterest struct {
	all   bool
	names map[string]bool
}

func (w *watchSet) interest(dir string) *dirInterest {
	if w.dirs == nil {
		w.dirs = map[string]*dirInterest{}
	}
	d := w.dirs[dir]
	if d == nil {
		d = &dirInterest{names: map[string]bool{}}
		w.dirs[dir] = d
	}
	return d
}

// name watches the directory entry p. When p's directory does not exist
// yet, the nearest existing ancestor is watched for the first missing
// component, so the bundle recovers by itself once the path appears.
func (w *watchSet) name(p string) {
	p = filepath.Clean(p)
	for range maxLinkHops * 4 {
		dir := filepath.Dir(p)
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			w.interest(real).names[filepath.Base(p)] = true
			return
		}
		if dir == p { // reached "/" (or "."): nothing exists at all
			return
		}
		p = dir
	}
}

// dir watches every entry of directory p, and p itself in its parent (a
// directory replaced by a file, or removed and re-created).
func (w *watchSet) dir(p string) {
	w.name(p)
	if real, err := filepath.EvalSymlinks(p); err == nil {
		w.interest(real).all = true
	}
}

// matches reports whether an fsnotify event on path concerns this set.
func (w *watchSet) matches(path string) bool {
	if _, self := w.dirs[path]; self {
		return true // the watched directory itself was removed or renamed
	}
	d := w.dirs[filepath.Dir(path)]
	return d != nil && (d.all || d.names[filepath.Base(path)])
}
