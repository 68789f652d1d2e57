package rotate

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// ReloaderOptions configures a Reloader. All fields are optional.
type ReloaderOptions struct {
	// OnReload is called (from the watcher goroutine) after a new version
	// has been swapped in.
	OnReload func(version string)
	// OnError is called when a new version cannot be served; the previous
	// certificate stays in use.
	OnError func(error)
	// Clock is used to refuse versions outside their validity window.
	Clock func() time.Time
}

// Reloader serves a store bundle to a Go TLS server and follows publishes
// and rollbacks without restarting the listener: tls.Config.GetCertificate
// reads an atomic pointer on every handshake, and a watcher goroutine
// swaps the pointer when `current` moves. Connections already established
// are not touched; new handshakes get the new certificate.
type Reloader struct {
	dir  string
	opt  ReloaderOptions
	cert atomic.Pointer[servedCert]

	watcher *fsnotify.Watcher
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex // serialises reloads (watcher vs explicit Reload)
}

type servedCert struct {
	version string
	cert    *tls.Certificate
}

// NewReloader loads the current version of the bundle in bundleDir
// (<store>/<name>) and starts watching it. It fails if the current version
// cannot be served. Call Close to stop the watcher.
func NewReloader(bundleDir string, opt ReloaderOptions) (*Reloader, error) {
	r := &Reloader{dir: bundleDir, opt: opt, done: make(chan struct{})}
	sc, err := r.load()
	if err != nil {
		return nil, fmt.Errorf("reloader %s: %w", bundleDir, err)
	}
	r.cert.Store(sc)
	// fsnotify does not follow symlinks, and `current` is replaced by a
	// rename, so watch the directory that holds it: the rename arrives as a
	// Create event named `current`.
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("reloader %s: %w", bundleDir, err)
	}
	if err := w.Add(bundleDir); err != nil {
		w.Close()
		return nil, fmt.Errorf("reloader %s: watch: %w", bundleDir, err)
	}
	r.watcher = w
	r.wg.Add(1)
	go r.watch()
	return r, nil
}

// GetCertificate is for tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.Load().cert, nil
}

// GetClientCertificate is for tls.Config.GetClientCertificate (a client
// presenting a store bundle for mutual TLS).
func (r *Reloader) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return r.cert.Load().cert, nil
}

// Version is the version being served, e.g. "v0007".
func (r *Reloader) Version() string { return r.cert.Load().version }

// Reload re-reads `current` now. On error the served certificate is kept.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc, err := r.load()
	if err != nil {
		return fmt.Errorf("reload %s: %w (still serving %s)", r.dir, err, r.Version())
	}
	if sc.version == r.Version() {
		return nil
	}
	r.cert.Store(sc)
	if r.opt.OnReload != nil {
		r.opt.OnReload(sc.version)
	}
	return nil
}

// Close stops the watcher goroutine and waits for it. The last certificate
// stays available to GetCertificate.
func (r *Reloader) Close() error {
	select {
	case <-r.done:
		return nil
	default:
	}
	close(r.done)
	err := r.watcher.Close()
	r.wg.Wait()
	return err
}

func (r *Reloader) watch() {
	defer r.wg.Done()
	for {
		select {
		case <-r.done:
			return
		case ev, ok := <-r.watcher.Events:
			if !ok {
				return
			}
			if filepath.Base(ev.Name) != CurrentLink || !ev.Has(fsnotify.Create) {
				continue
			}
			if err := r.Reload(); err != nil {
				r.report(err)
			}
		case err, ok := <-r.watcher.Errors:
			if !ok {
				return
			}
			r.report(fmt.Errorf("reloader %s: watch: %w", r.dir, err))
		}
	}
}

func (r *Reloader) report(err error) {
	if r.opt.OnError != nil {
		r.opt.OnError(err)
	}
}

// load reads the current version through the consistent reader and checks
// it can be served: key matches certificate, inside its validity window.
func (r *Reloader) load() (*servedCert, error) {
	v, err := Open(r.dir)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	full, err := v.ReadFile(FullchainFile)
	if err != nil {
		return nil, err
	}
	key, err := v.ReadFile(KeyFile)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(full, key)
	if err != nil {
		// tls errors do not quote key bytes, but keep the message generic.
		return nil, fmt.Errorf("%s: certificate and key do not form a usable pair", v.Name)
	}
	now := time.Now()
	if r.opt.Clock != nil {
		now = r.opt.Clock()
	}
	if cert.Leaf == nil {
		return nil, errors.New(v.Name + ": no leaf certificate")
	}
	if now.After(cert.Leaf.NotAfter) || now.Before(cert.Leaf.NotBefore) {
		return nil, fmt.Errorf("%s: certificate outside its validity window (%s to %s)", v.Name,
			cert.Leaf.NotBefore.UTC().Format(time.RFC3339), cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return &servedCert{version: v.Name, cert: &cert}, nil
}
