package model

import (
	"fmt"
	"io/fs"
	"time"
)

// FileRole says what a file of a bundle is for, whatever it is called on
// disk: certbot's cert.pem and a store's cert.pem are both RoleCert.
type FileRole string

const (
	RoleCert      FileRole = "cert"      // the leaf alone (may carry the chain, pair layout)
	RoleChain     FileRole = "chain"     // intermediates alone
	RoleFullchain FileRole = "fullchain" // leaf followed by intermediates
	RoleKey       FileRole = "key"       // the private key
	RoleCombined  FileRole = "combined"  // key and chain in one file (single-file, store bundle.pem)
	RoleLink      FileRole = "link"      // a symlink that selects a version (store `current`); not read
)

// BundleFile is one file of a bundle as the reader found it on disk.
type BundleFile struct {
	Name string   // as the operator knows it: "privkey.pem", "current"
	Role FileRole // what it holds
	Path string   // the path that was opened
	// Target is the symlink target as written ("../../archive/web/cert3.pem");
	// empty for a regular file.
	Target string
	// Mode is the permission and type of the file read, after following
	// links: the bits that decide who can read a private key.
	Mode fs.FileMode
	Size int64
	// Err says why the file could not be read: missing, dangling link,
	// loop, too large, permission. Empty when Data holds its contents.
	Err string
	// Missing is true when there is no file to read (absent, or a link
	// that dangles): its Mode is then meaningless.
	Missing bool
	// Data is the file's contents, held only until the snapshot is sealed:
	// Seal parses it and wipes it, so key bytes never reach state, the
	// event log or the screen.
	Data []byte
}

// ModeText is the file's permission bits as `ls` would let one check them
// ("0600"), or "" when there are none to show: a store's `current` link
// (its own mode means nothing) or a missing file (not "0000": Err says it
// is missing).
func (f BundleFile) ModeText() string {
	if f.Role == RoleLink || f.Mode&fs.ModeSymlink != 0 || f.Missing {
		return ""
	}
	return fmt.Sprintf("%04o", f.Mode.Perm())
}

// BundleSnapshot is one read of a bundle from disk: the event the bundle
// reader and watcher send. Seal turns its bytes into facts; State.Apply
// folds it into the bundle's state.
type BundleSnapshot struct {
	Bundle string    // bundle name as configured
	Time   time.Time // when the read happened
	Layout string    // the layout found (certbot, store, pair, single-file)
	// Version names the vintage read: the store version ("v0007") or the
	// certbot archive generation ("3"); empty when the layout has none or
	// files disagree (mixed vintage).
	Version string
	// Err is set when the bundle could not be read at all (path missing,
	// unknown layout); Files is then usually empty.
	Err   string
	Files []BundleFile
	// CA holds the bundle's extra trust roots (PEM, public data); nil
	// means the system roots.
	CA []byte
	// CAErr says why the ca: file could not be read.
	CAErr string
	// NonAtomic is set by the watcher when this read completes a change
	// that a writer made in separate steps (cert, then key, more than the
	// debounce apart): readers in between saw a mixed bundle.
	NonAtomic string

	facts *BundleFacts
}

func (*BundleSnapshot) isEvent() {}

// Seal parses the snapshot's files into facts for bundle b and wipes every
// file's bytes. It is idempotent; the watcher calls it before sending so
// raw bytes never travel further than the reader.
func (s *BundleSnapshot) Seal(b Bundle) *BundleFacts {
	if s.facts == nil {
		s.facts = inspectBundle(s, b)
	}
	for i := range s.Files {
		clear(s.Files[i].Data)
		s.Files[i].Data = nil
	}
	return s.facts
}

// Facts returns what Seal found, or nil before Seal.
func (s *BundleSnapshot) Facts() *BundleFacts { return s.facts }
