package demo

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"certdeck/model"
	"certdeck/rotate"
)

// ReloadTokenEnv names the variable that holds the bearer token of the
// demo's reload endpoint. Start sets it in its own process (the token is
// random per run), so the demo's `http` reloads are the real reload kind
// reading a secret from the environment, as a production config would.
const ReloadTokenEnv = "CERTDECK_DEMO_RELOAD_TOKEN"

// reloadHub is the demo's reload endpoint: one HTTP listener on
// 127.0.0.1 where POST /reload/NAME with the bearer token reloads the
// servers registered under NAME. Each becomes a `reloads:` entry of kind
// http, so pressing x in the console runs certdeck's real HTTP reload.
type reloadHub struct {
	url, token string
	mu         sync.Mutex
	reloads    map[string]func() error
}

// hub starts the reload endpoint on first use.
func (b *Builder) hub() (*reloadHub, error) {
	if b.reloadHub != nil {
		return b.reloadHub, nil
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("demo reload token: %w", err)
	}
	h := &reloadHub{token: hex.EncodeToString(secret), reloads: map[string]func() error{}}
	ln, err := b.listen()
	if err != nil {
		return nil, err
	}
	h.url = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: connDeadline}
	b.onClose(func() { srv.Close() })
	b.wg.Go(func() { _ = srv.Serve(ln) })
	prev, had := os.LookupEnv(ReloadTokenEnv)
	os.Setenv(ReloadTokenEnv, h.token)
	b.onClose(func() {
		if had {
			os.Setenv(ReloadTokenEnv, prev)
		} else {
			os.Unsetenv(ReloadTokenEnv)
		}
	})
	b.reloadHub = h
	return h, nil
}

// add registers reload under name and returns its `reloads:` entry.
func (h *reloadHub) add(name string, reload func() error) model.ReloadConfig {
	h.mu.Lock()
	h.reloads[name] = reload
	h.mu.Unlock()
	timeout := model.Duration(5 * time.Second)
	return model.ReloadConfig{Name: name, Timeout: &timeout,
		HTTP: &model.HTTPConfig{Method: http.MethodPost, URL: h.url + "/reload/" + name, BearerEnv: ReloadTokenEnv, Expect: http.StatusOK}}
}

func (h *reloadHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/reload/")
	if r.Method != http.MethodPost || !ok {
		http.Error(w, "POST /reload/NAME", http.StatusNotFound)
		return
	}
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(h.token)) != 1 {
		http.Error(w, "wrong or missing bearer token", http.StatusUnauthorized)
		return
	}
	h.mu.Lock()
	reload, ok := h.reloads[name]
	h.mu.Unlock()
	if !ok {
		http.Error(w, "no such reload", http.StatusNotFound)
		return
	}
	if err := reload(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "reloaded %s\n", name)
}

// liveCert is a demo server's certificate, replaced by its reload the way
// nginx replaces its workers: handshakes after the swap see the new one.
type liveCert struct {
	cert atomic.Pointer[tls.Certificate]
}

func (l *liveCert) config() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return l.cert.Load(), nil
	}}
}

// serveLive starts a TLS server presenting initial until its reload.
func (b *Builder) serveLive(initial tls.Certificate) (string, *liveCert, error) {
	lc := &liveCert{}
	lc.cert.Store(&initial)
	addr, err := b.serveTLS(lc.config())
	return addr, lc, err
}

// loadFrom is a reload reading fullchain.pem and privkey.pem from dir,
// as a server configured with those paths does on reload.
func (l *liveCert) loadFrom(dir string) func() error {
	return func() error {
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem"))
		if err != nil {
			// tls errors name files, never key bytes; keep it short anyway.
			return errors.New("cannot load the certificate and key from " + dir)
		}
		l.cert.Store(&cert)
		return nil
	}
}

// legacyBundle is a store bundle whose server reads another file than
// the store's (a copy made at install time): its reload answers 200 and
// changes nothing. Its source: holds a fresh certificate; P (publish →
// reload → verify) publishes v0003, the reload "succeeds", the server
// still presents v0002, verification fails, and on_verify_fail: rollback
// puts v0002 back, reloads again and verifies it. The outcome is
// "rolled back", and P can be pressed again for the same show.
func legacyBundle(b *Builder) error {
	const host = "legacy.demo.test"
	now := time.Now()
	store := &rotate.Store{Dir: filepath.Join(b.Dir, "store"), Roots: b.CA.Pool(), AuditLog: "-"}
	var first, firstKey []byte // the current version, which the server copied
	for i, age := range []time.Duration{30 * 24 * time.Hour, 3 * time.Hour} {
		l, err := b.leaf(host, now.Add(-age), now.Add(-age+90*24*time.Hour))
		if err != nil {
			return err
		}
		if _, err := store.Publish(b.ctx, "legacy", rotate.Inputs{Fullchain: l.FullchainPEM(), Key: l.KeyPEM(), Source: "demo"}); err != nil {
			return err
		}
		if i == 1 {
			first, firstKey = l.FullchainPEM(), l.KeyPEM()
		}
	}
	// The copy the server was configured with, once, at v0002.
	copyDir := filepath.Join(b.Dir, "legacy-server")
	if err := os.MkdirAll(copyDir, 0o755); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(copyDir, "fullchain.pem"), first, 0o644); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(copyDir, "privkey.pem"), firstKey, 0o600); err != nil {
		return err
	}
	initial, err := tls.X509KeyPair(first, firstKey)
	if err != nil {
		return fmt.Errorf("legacy: %w", err)
	}
	addr, lc, err := b.serveLive(initial)
	if err != nil {
		return err
	}
	h, err := b.hub()
	if err != nil {
		return err
	}
	b.cfg.Reloads = append(b.cfg.Reloads, h.add("demo-legacy", lc.loadFrom(copyDir)))
	fresh, err := b.leaf(host, now.Add(-time.Minute), now.Add(90*24*time.Hour))
	if err != nil {
		return err
	}
	staging := filepath.Join(b.Dir, "staging", "legacy")
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(staging, "fullchain.pem"), fresh.FullchainPEM(), 0o644); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(staging, "privkey.pem"), fresh.KeyPEM(), 0o600); err != nil {
		return err
	}
	verify := model.Duration(5 * time.Second) // a demo should not make you wait 30s to see a rollback
	b.Endpoint(model.EndpointConfig{Name: host, Address: addr, SNI: host, Group: "bundles"})
	b.cfg.Bundles = append(b.cfg.Bundles, model.BundleConfig{Name: "legacy", Path: store.BundleDir("legacy"), Layout: model.LayoutStore,
		CA: b.CAFile, Source: staging, Serves: []string{host}, Reload: "demo-legacy", OnVerifyFail: model.OnVerifyFailRollback, VerifyTimeout: &verify})
	return nil
}
