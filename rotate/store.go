package rotate

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultKeep is how many versions a bundle retains when Store.Keep is 0.
const DefaultKeep = 5

// DefaultPruneGrace is how long a replaced version outlives its
// replacement before retention may remove it. Readers hold a version for
// microseconds; a minute covers any stalled one.
const DefaultPruneGrace = time.Minute

// Names of the files every version directory holds.
const (
	CertFile      = "cert.pem"      // leaf only, 0644
	ChainFile     = "chain.pem"     // intermediates, nearest first, 0644
	FullchainFile = "fullchain.pem" // leaf + intermediates, 0644
	KeyFile       = "privkey.pem"   // private key, 0600
	BundleFile    = "bundle.pem"    // key + fullchain in one file (Postfix, HAProxy), 0600
	MetaFile      = "meta.json"     // what was published, when, from where; 0644
)

// ErrReadOnly is returned by every mutating call of a read-only Store.
// The console also hides mutating keys; this is the second, independent
// line of enforcement.
var ErrReadOnly = errors.New("read-only mode: certdeck will not change files")

// Store is the atomic bundle store rooted at Dir. Each bundle lives in
// Dir/<name>/ as immutable version directories and a `current` symlink.
//
// A Store holds no open resources; its zero value plus Dir is usable.
// Concurrent writers (goroutines or processes) are serialised by a flock
// on Dir/<name>/.lock; readers never lock (see Open).
type Store struct {
	// Dir holds one directory per bundle.
	Dir string
	// Keep is how many good versions to retain (0: DefaultKeep); versions
	// rolled back as not verified fill only the places good ones leave.
	// The current version and the rollback target (chooseRollback) are
	// never pruned whatever Keep says.
	Keep int
	// ReadOnly refuses Publish, Rollback and Prune with ErrReadOnly.
	ReadOnly bool
	// Roots verifies published chains when Inputs carry no CA; nil means
	// the system roots.
	Roots *x509.CertPool
	// Clock is the time used for validity checks, meta.json and the audit
	// log; nil means time.Now. Tests pass a fake clock.
	Clock func() time.Time
	// AuditLog is the file each publish and rollback appends one JSON line
	// to; "" means $XDG_STATE_HOME/certdeck/audit.log, "-" disables it.
	AuditLog string
	// PruneGrace is how long a version stays after the version that
	// replaced it was published, so readers that opened it just before the
	// swap can finish (0: DefaultPruneGrace; negative: no grace).
	PruneGrace time.Duration
	// LockTimeout bounds how long a writer waits for another writer's lock
	// (0: DefaultLockTimeout), so a wedged process cannot hang a deploy
	// hook forever. The caller's context can end the wait sooner.
	LockTimeout time.Duration
}

// DefaultLockTimeout is how long a writer waits for another writer's lock
// when Store.LockTimeout is 0.
const DefaultLockTimeout = 30 * time.Second

// StoreOptions are the settings a program hands to the stores it opens on
// a user's behalf (the console's publish and rollback), so they travel as
// values rather than through the environment: the demo sends its audit
// lines nowhere without touching $XDG_STATE_HOME.
type StoreOptions struct {
	// Keep is Store.Keep (0: DefaultKeep).
	Keep int
	// AuditLog is Store.AuditLog ("": the state dir's audit.log, "-": none).
	AuditLog string
	// Clock is Store.Clock (nil: time.Now).
	Clock func() time.Time
	// Roots is Store.Roots (nil: the system roots, unless the bundle's
	// `ca:` is given with the inputs).
	Roots *x509.CertPool
}

// NewStore is the Store rooted at dir with opts applied.
func NewStore(dir string, readOnly bool, opts StoreOptions) *Store {
	return &Store{Dir: dir, ReadOnly: readOnly, Keep: opts.Keep, AuditLog: opts.AuditLog, Clock: opts.Clock, Roots: opts.Roots}
}

func (s *Store) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

func (s *Store) keep() int {
	if s.Keep > 0 {
		return s.Keep
	}
	return DefaultKeep
}

func (s *Store) pruneGrace() time.Duration {
	if s.PruneGrace == 0 {
		return DefaultPruneGrace
	}
	return s.PruneGrace
}

func (s *Store) auditPath() (string, error) { return auditLogPath(s.AuditLog) }

// bundleNameRE keeps bundle names to one harmless path element: they become
// directory names and appear in audit lines.
var bundleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// BundleDir is the directory of one bundle, the directory Open takes.
func (s *Store) BundleDir(name string) string {
	return filepath.Join(s.Dir, name)
}

func checkBundleName(name string) error {
	if !bundleNameRE.MatchString(name) {
		return fmt.Errorf("bundle name %q: use letters, digits, '.', '_' or '-' (not starting with '.' or '-')", name)
	}
	return nil
}

// SplitBundleDir turns a store-layout bundle path (<store>/<name>, as in a
// `layout: store` bundle's path) into the Store directory and bundle name.
// The name is the path's last element as written (trailing slashes
// aside), not after filepath.Clean, which would turn "s/." into the bundle
// "s" of the store "." and "s/a/.." into "s": the caller checks it with
// checkBundleName, which refuses "." and "..".
func SplitBundleDir(bundleDir string) (storeDir, name string) {
	trimmed := strings.TrimRight(bundleDir, "/")
	i := strings.LastIndexByte(trimmed, '/')
	if i < 0 {
		return ".", trimmed
	}
	return filepath.Clean(bundleDir[:i+1]), trimmed[i+1:]
}

// versionRE matches version directory names: v followed by at least four
// digits (v0001 ... v9999, then v10000 ...).
var versionRE = regexp.MustCompile(`^v[0-9]{4,9}$`)

// IsVersionName reports whether s names a version directory.
func IsVersionName(s string) bool { return versionRE.MatchString(s) }

func versionName(n int) string { return fmt.Sprintf("v%04d", n) }

func versionNumber(name string) int {
	n := 0
	for _, c := range name[1:] {
		n = n*10 + int(c-'0')
	}
	return n
}

// ensureBundleDir creates <store>/<name> and the store itself if missing
// (0755: servers running as other users must traverse them; the key files
// inside are 0600). An existing entry is left as it is for checkBundleDir
// to judge: MkdirAll would follow a planted link.
func (s *Store) ensureBundleDir(name string) error {
	if err := checkBeforeCreate("store dir "+s.Dir, s.Dir); err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("create store dir: %w", err)
	}
	if err := os.Mkdir(s.BundleDir(name), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create bundle dir: %w", err)
	}
	return nil
}
