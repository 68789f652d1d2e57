package probe

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"certdeck/model"
	"certdeck/rotate"
)

// certbotFiles are the links certbot keeps in live/NAME/, in the order a
// bundle row lists them.
var certbotFiles = []struct {
	name string
	role model.FileRole
}{
	{"cert.pem", model.RoleCert},
	{"chain.pem", model.RoleChain},
	{"fullchain.pem", model.RoleFullchain},
	{"privkey.pem", model.RoleKey},
}

// storeFiles are the files of a store version directory; bundle.pem is
// optional (only bundles configured for single-file consumers have it).
var storeFiles = []struct {
	name     string
	role     model.FileRole
	optional bool
}{
	{"cert.pem", model.RoleCert, false},
	{"chain.pem", model.RoleChain, false},
	{"fullchain.pem", model.RoleFullchain, false},
	{"privkey.pem", model.RoleKey, false},
	{"bundle.pem", model.RoleCombined, true},
}

// bundleRead is one read of a bundle: the snapshot to send, the paths it
// depended on (for the watcher) and fingerprints of the certificate and
// key contents (to notice writers that change them in separate steps).
type bundleRead struct {
	snap      *model.BundleSnapshot
	watch     watchSet
	certPrint [32]byte
	keyPrint  [32]byte
}

// ReadBundle reads one bundle from disk as one vintage where the layout
// allows it, and returns its sealed snapshot (facts parsed, file bytes
// wiped). It never fails: problems are reasons inside the snapshot.
func ReadBundle(b model.Bundle, now time.Time) *model.BundleSnapshot {
	r := readBundle(b, now)
	r.snap.Seal(b)
	return r.snap
}

// ReadBundles reads every bundle once, for `certdeck check`. Apply the
// results to a model.State built from the same fleet.
func ReadBundles(bundles []model.Bundle, now time.Time) []*model.BundleSnapshot {
	out := make([]*model.BundleSnapshot, 0, len(bundles))
	for _, b := range bundles {
		out = append(out, ReadBundle(b, now))
	}
	return out
}

// BundleEvents is ReadBundles as events, ready for State.Apply.
func BundleEvents(bundles []model.Bundle, now time.Time) []model.Event {
	var out []model.Event
	for _, s := range ReadBundles(bundles, now) {
		out = append(out, s)
	}
	return out
}

// readBundle reads without sealing; the watcher fingerprints first.
func readBundle(b model.Bundle, now time.Time) *bundleRead {
	r := &bundleRead{snap: &model.BundleSnapshot{Bundle: b.Name, Time: now}}
	r.snap.CA, r.snap.CAErr = readCAFile(b.CAFile)
	layout, err := detectLayout(&b, &r.watch)
	r.snap.Layout = layout
	if err != nil {
		r.snap.Err = err.Error()
		return r
	}
	switch layout {
	case model.LayoutCertbot:
		r.readCertbot(b.Path)
	case model.LayoutStore:
		r.readStore(b.Path)
	case model.LayoutPair:
		r.readPair(b)
	case model.LayoutSingleFile:
		r.snap.Files = []model.BundleFile{readBundleFile(b.Path, filepath.Base(b.Path), model.RoleCombined, &r.watch)}
	}
	r.fingerprint()
	return r
}

// detectLayout checks the path against the configured layout, or picks
// one for layout auto. A pair detected in a directory gets its file
// names set on b (cert.pem or fullchain.pem, and privkey.pem).
func detectLayout(b *model.Bundle, watch *watchSet) (string, error) {
	if msg, missing := followLinks(b.Path, watch); msg != "" {
		if missing {
			return b.Layout, fmt.Errorf("%s does not exist (yet)", b.Path)
		}
		return b.Layout, errors.New(msg)
	}
	st, err := os.Stat(b.Path)
	if err != nil {
		return b.Layout, errors.New(describeFSError(err, b.Path))
	}
	isDir := st.IsDir()
	if isDir {
		watch.dir(b.Path)
	}
	switch b.Layout {
	case model.LayoutSingleFile:
		if isDir {
			return b.Layout, fmt.Errorf("%s is a directory; layout single-file needs a PEM file", b.Path)
		}
		return b.Layout, nil
	case model.LayoutCertbot, model.LayoutStore, model.LayoutPair:
		if !isDir {
			return b.Layout, fmt.Errorf("%s is a file; layout %s needs a directory", b.Path, b.Layout)
		}
		if b.Layout == model.LayoutPair {
			setPairFiles(b)
		}
		return b.Layout, nil
	}
	if !isDir {
		return model.LayoutSingleFile, nil
	}
	if _, err := os.Lstat(filepath.Join(b.Path, rotate.CurrentLink)); err == nil {
		return model.LayoutStore, nil
	}
	if b.CertFile != "" && b.KeyFile != "" {
		return model.LayoutPair, nil
	}
	if layout, ok := certbotOrPair(b.Path); ok {
		if layout == model.LayoutPair {
			setPairFiles(b)
		}
		return layout, nil
	}
	return model.LayoutAuto, fmt.Errorf("cannot tell the layout of %s: no %q link and no cert.pem, fullchain.pem or privkey.pem (set layout: in the config)", b.Path, rotate.CurrentLink)
}

// certbotOrPair tells a certbot live dir from a plain pair of files. A
// certbot lineage is four links into ../../archive (or, copied, all four
// files); a directory holding only cert.pem (or fullchain.pem) and
// privkey.pem is a pair, not a lineage with two files missing.
func certbotOrPair(dir string) (layout string, ok bool) {
	present, linked := 0, false
	for _, f := range certbotFiles {
		lst, err := os.Lstat(filepath.Join(dir, f.name))
		if err != nil {
			continue
		}
		present++
		if lst.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(filepath.Join(dir, f.name))
			if _, archived := model.LinkGeneration(target); archived {
				linked = true
			}
		}
	}
	switch {
	case present == 0:
		return "", false
	case linked || present == len(certbotFiles):
		return model.LayoutCertbot, true
	}
	return model.LayoutPair, true
}

// setPairFiles fills in a pair's file names when none are configured:
// the certificate is fullchain.pem when there is one (it carries the
// chain), else cert.pem; the key is privkey.pem.
func setPairFiles(b *model.Bundle) {
	if b.CertFile == "" {
		b.CertFile = model.PairCertFile
		if _, err := os.Lstat(filepath.Join(b.Path, "fullchain.pem")); err == nil {
			b.CertFile = "fullchain.pem"
		}
	}
	if b.KeyFile == "" {
		b.KeyFile = model.PairKeyFile
	}
}

// certbotReadAttempts bounds re-reads of a certbot dir whose links moved
// while it was being read: certbot re-points them one by one, and a read
// that straddles that gives a mixed vintage that a retry avoids.
const certbotReadAttempts = 3

func (r *bundleRead) readCertbot(dir string) {
	for attempt := 1; ; attempt++ {
		r.snap.Files = r.snap.Files[:0]
		for _, f := range certbotFiles {
			r.snap.Files = append(r.snap.Files, readBundleFile(filepath.Join(dir, f.name), f.name, f.role, &r.watch))
		}
		if attempt == certbotReadAttempts || !r.linksMoved() {
			return
		}
		for i := range r.snap.Files {
			clear(r.snap.Files[i].Data)
		}
	}
}

// linksMoved reports whether any link read has been re-pointed since.
func (r *bundleRead) linksMoved() bool {
	for _, f := range r.snap.Files {
		now, _ := os.Readlink(f.Path)
		if now != f.Target {
			return true
		}
	}
	return false
}

// readStore reads certdeck's own store layout through rotate.Open, which
// resolves `current` once and reads every file relative to that version
// directory: one vintage even while `current` is swapped.
func (r *bundleRead) readStore(dir string) {
	link := filepath.Join(dir, rotate.CurrentLink)
	cur := model.BundleFile{Name: rotate.CurrentLink, Role: model.RoleLink, Path: link}
	cur.Target, _ = os.Readlink(link)
	v, err := rotate.Open(dir)
	if err != nil {
		cur.Err, cur.Missing = describeFSError(err, link), errors.Is(err, fs.ErrNotExist)
		if errors.Is(err, fs.ErrNotExist) && cur.Target != "" {
			cur.Err = fmt.Sprintf("dangling link: %s points to %s, which does not exist", link, cur.Target)
		}
		r.snap.Files = []model.BundleFile{cur}
		return
	}
	defer v.Close()
	cur.Target = v.Name
	r.snap.Version = v.Name
	r.snap.Files = []model.BundleFile{cur}
	r.watch.dir(v.Dir)
	for _, f := range storeFiles {
		bf := model.BundleFile{Name: f.name, Role: f.role, Path: filepath.Join(v.Dir, f.name)}
		st, err := v.Stat(f.name)
		if err != nil {
			if f.optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			bf.Err, bf.Missing = describeFSError(err, bf.Path), errors.Is(err, fs.ErrNotExist)
			r.snap.Files = append(r.snap.Files, bf)
			continue
		}
		bf.Mode, bf.Size = st.Mode(), st.Size()
		if bf.Data, err = v.ReadFile(f.name); err != nil {
			bf.Err = describeFSError(err, bf.Path)
			if errors.Is(err, rotate.ErrFileTooLarge) {
				bf.Err = tooLarge(st.Size())
			}
		}
		r.snap.Files = append(r.snap.Files, bf)
	}
}

// readPair reads an explicit cert + key, relative to the bundle path.
func (r *bundleRead) readPair(b model.Bundle) {
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(b.Path, p)
	}
	cert, key := rel(b.CertFile), rel(b.KeyFile)
	r.snap.Files = []model.BundleFile{
		readBundleFile(cert, filepath.Base(cert), model.RoleCert, &r.watch),
		readBundleFile(key, filepath.Base(key), model.RoleKey, &r.watch),
	}
}

// fingerprint hashes certificate and key contents separately. The hashes
// stay inside the watcher and are never shown.
func (r *bundleRead) fingerprint() {
	cert, key := sha256.New(), sha256.New()
	for _, f := range r.snap.Files {
		switch f.Role {
		case model.RoleKey:
			key.Write(f.Data)
			key.Write([]byte(f.Err))
		case model.RoleCert, model.RoleFullchain, model.RoleCombined:
			cert.Write(f.Data)
			cert.Write([]byte(f.Err))
		}
		if f.Role == model.RoleCombined { // holds the key too
			key.Write(f.Data)
		}
	}
	copy(r.certPrint[:], cert.Sum(nil))
	copy(r.keyPrint[:], key.Sum(nil))
}
