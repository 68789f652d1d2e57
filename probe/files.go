package probe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"time"

	"certdeck/model"
)

// Size caps for the files endpoints name. A bundle of every public root
// is about 200 KiB; a client certificate chain or key a few KiB.
const (
	maxTrustFile      = 4 << 20
	maxClientCertFile = 1 << 20
	maxClientKeyFile  = 1 << 20
)

// material loads the files endpoints name (ca:, client_cert:, client_key:)
// once and reuses them while the file is unchanged: a round over 2,000
// endpoints sharing one ca: file must not parse it 2,000 times, and a
// rotated file must still be picked up by the next probe.
type material struct {
	mu    sync.Mutex
	roots map[string]cachedRoots
	pairs map[[2]string]cachedPair
}

type fileStamp struct {
	size int64
	mod  time.Time
}

type cachedRoots struct {
	stamp   fileStamp
	pool    *x509.CertPool
	checked time.Time // when stamp was last compared with the file
}

type cachedPair struct {
	stamps [2]fileStamp
	cert   tls.Certificate
}

func newMaterial() *material {
	return &material{roots: map[string]cachedRoots{}, pairs: map[[2]string]cachedPair{}}
}

func stamp(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: fi.Size(), mod: fi.ModTime()}, nil
}

// rootsRecheck is how long a ca: file's pool is used before the file is
// looked at again: 10,000 endpoints sharing one ca: file need not stat it
// 10,000 times a round, and a rotated file is still picked up within a
// second.
const rootsRecheck = time.Second

// trustRoots returns the pool in a ca: file.
func (m *material) trustRoots(path string) (*x509.CertPool, error) {
	m.mu.Lock()
	c, ok := m.roots[path]
	m.mu.Unlock()
	if ok && time.Since(c.checked) < rootsRecheck {
		return c.pool, nil
	}
	st, err := stamp(path)
	if err != nil {
		return nil, fmt.Errorf("read ca file: %w", err)
	}
	if ok && c.stamp == st {
		m.mu.Lock()
		m.roots[path] = cachedRoots{stamp: st, pool: c.pool, checked: time.Now()}
		m.mu.Unlock()
		return c.pool, nil
	}
	// ReadRegularFile opens without blocking and refuses a FIFO or a
	// device: a probe must never hang on a file.
	data, err := model.ReadRegularFile(path, "ca file", maxTrustFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("ca file %s: no PEM certificates in it", path)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.roots[path]; ok && c.stamp == st {
		// Another probe loaded the same file meanwhile: use its pool, so
		// every endpoint of this file verifies against one pool (the
		// chain cache tells roots apart by identity).
		return c.pool, nil
	}
	m.roots[path] = cachedRoots{stamp: st, pool: pool, checked: time.Now()}
	return pool, nil
}

// clientCert loads an mTLS certificate and key. Errors name the files and
// never include their contents (the key must not reach a log).
func (m *material) clientCert(certPath, keyPath string) (tls.Certificate, error) {
	cs, err := stamp(certPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read client_cert: %w", err)
	}
	ks, err := stamp(keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read client_key: %w", err)
	}
	key := [2]string{certPath, keyPath}
	m.mu.Lock()
	c, ok := m.pairs[key]
	m.mu.Unlock()
	if ok && c.stamps == [2]fileStamp{cs, ks} {
		return c.cert, nil
	}
	certPEM, err := model.ReadRegularFile(certPath, "client_cert", maxClientCertFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := model.ReadRegularFile(keyPath, "client_key", maxClientKeyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	clear(keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load client certificate %s with key %s: %w", certPath, keyPath, err)
	}
	m.mu.Lock()
	m.pairs[key] = cachedPair{stamps: [2]fileStamp{cs, ks}, cert: cert}
	m.mu.Unlock()
	return cert, nil
}
