package demo

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
)

// bundles: certificate bundles on disk next to the servers that present
// them, one per layout certdeck reads:
//
//   - web (certbot lineage): renewed to generation 2; web1 serves it, web2
//     still serves generation 1, as a server nobody reloaded would: the
//     bundle is WARN with "web2.demo.test serves an older certificate
//     (serial …) than the bundle holds (serial …): reload needed". Its
//     reload (http, on the demo's reload endpoint) makes both servers
//     re-read the lineage: x turns web2 OK.
//   - app (certdeck store, published with rotate): served through
//     rotate.Reloader, so a publish from the console (p) is served by the
//     next handshake without a restart. Its source: is a staging dir with
//     a fresh certificate, so p has something to publish, and b has an
//     older version to roll back to.
//   - edge (single file, key and chain in one PEM as HAProxy reads it).
//   - legacy (store, on_verify_fail: rollback): a reload without effect,
//     so a publish is rolled back (scenario_reloads.go).
func bundles(b *Builder) error {
	for _, f := range []func(*Builder) error{certbotBundle, storeBundle, singleFileBundle, legacyBundle} {
		if err := f(b); err != nil {
			return fmt.Errorf("demo bundles: %w", err)
		}
	}
	return nil
}

func certbotBundle(b *Builder) error {
	now := time.Now()
	names := []string{"web1.demo.test", "web2.demo.test"}
	gen1, err := b.Issuer.Issue(pki.Options{DNSNames: names, NotBefore: now.Add(-60 * 24 * time.Hour), NotAfter: now.Add(30*24*time.Hour + time.Hour)})
	if err != nil {
		return err
	}
	gen2, err := b.Issuer.Issue(pki.Options{DNSNames: names, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)})
	if err != nil {
		return err
	}
	lin := probe.CertbotLineage{Root: filepath.Join(b.Dir, "letsencrypt"), Name: "web"}
	for i, l := range []*pki.Leaf{gen1, gen2} {
		if err := lin.WriteGeneration(i+1, probe.CertbotPEM{Cert: l.CertPEM(), Chain: l.ChainPEM(), Fullchain: l.FullchainPEM(), Key: l.KeyPEM()}); err != nil {
			return err
		}
	}
	if err := lin.Point(2); err != nil {
		return err
	}
	// web1 was reloaded after the renewal; web2 was not. Their reload
	// re-reads the lineage's live files, as nginx would.
	var servers []*liveCert
	for i, l := range []*pki.Leaf{gen2, gen1} {
		addr, lc, err := b.serveLive(l.TLSCertificate())
		if err != nil {
			return err
		}
		servers = append(servers, lc)
		b.Endpoint(model.EndpointConfig{Name: names[i], Address: addr, SNI: names[i], Group: "bundles"})
	}
	h, err := b.hub()
	if err != nil {
		return err
	}
	b.cfg.Reloads = append(b.cfg.Reloads, h.add("demo-web", func() error {
		for _, lc := range servers {
			if err := lc.loadFrom(lin.LiveDir())(); err != nil {
				return err
			}
		}
		return nil
	}))
	b.cfg.Bundles = append(b.cfg.Bundles, model.BundleConfig{Name: "web", Path: lin.LiveDir(), Layout: model.LayoutCertbot, CA: b.CAFile,
		Serves: names, Reload: "demo-web"})
	return nil
}

func storeBundle(b *Builder) error {
	const host = "app.demo.test"
	now := time.Now()
	store := &rotate.Store{Dir: filepath.Join(b.Dir, "store"), Roots: b.CA.Pool(), AuditLog: "-"}
	// Two versions, so rollback (b) has somewhere to go.
	for _, age := range []time.Duration{20 * 24 * time.Hour, 2 * time.Hour} {
		l, err := b.Issuer.Issue(pki.Options{DNSNames: []string{host}, NotBefore: now.Add(-age), NotAfter: now.Add(-age + 90*24*time.Hour)})
		if err != nil {
			return err
		}
		if _, err := store.Publish(b.ctx, "app", rotate.Inputs{Fullchain: l.FullchainPEM(), Key: l.KeyPEM(), Source: "demo"}); err != nil {
			return err
		}
	}
	staging := filepath.Join(b.Dir, "staging", "app")
	fresh, err := b.Issuer.Issue(pki.Options{DNSNames: []string{host}, NotBefore: now.Add(-time.Minute), NotAfter: now.Add(90 * 24 * time.Hour)})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(staging, "fullchain.pem"), fresh.FullchainPEM(), 0o644); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(staging, "privkey.pem"), fresh.KeyPEM(), 0o600); err != nil {
		return err
	}
	rl, err := rotate.NewReloader(store.BundleDir("app"), rotate.ReloaderOptions{})
	if err != nil {
		return err
	}
	b.onClose(func() { rl.Close() })
	addr, err := b.serveTLS(&tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: rl.GetCertificate})
	if err != nil {
		return err
	}
	b.Endpoint(model.EndpointConfig{Name: host, Address: addr, SNI: host, Group: "bundles"})
	b.cfg.Bundles = append(b.cfg.Bundles, model.BundleConfig{Name: "app", Path: store.BundleDir("app"), Layout: model.LayoutStore,
		CA: b.CAFile, Source: staging, Serves: []string{host}})
	return nil
}

func singleFileBundle(b *Builder) error {
	const host = "edge.demo.test"
	l, err := b.leaf(host, time.Now().Add(-24*time.Hour), time.Now().Add(70*24*time.Hour))
	if err != nil {
		return err
	}
	dir := filepath.Join(b.Dir, "haproxy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "edge.pem")
	if err := writeNew(path, append(l.KeyPEM(), l.FullchainPEM()...), 0o600); err != nil {
		return err
	}
	addr, err := b.serveTLS(staticCert(l.TLSCertificate()))
	if err != nil {
		return err
	}
	b.Endpoint(model.EndpointConfig{Name: host, Address: addr, SNI: host, Group: "bundles"})
	b.cfg.Bundles = append(b.cfg.Bundles, model.BundleConfig{Name: "edge", Path: path, Layout: model.LayoutSingleFile, CA: b.CAFile, Serves: []string{host}})
	return nil
}

// writeNew creates path with mode from its first byte (O_EXCL: never an
// existing file, never a chmod after): key files are 0600 throughout.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
