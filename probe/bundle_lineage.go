package probe

import (
	"fmt"
	"os"
	"path/filepath"
)

// CertbotLineage lays out a certbot-style lineage under Root (what
// /etc/letsencrypt is on a server): numbered generations in
// archive/NAME/ and relative symlinks in live/NAME/. The demo fleet and
// tests use it to build the exact on-disk shape certdeck watches,
// including the half-renewed states certbot passes through.
type CertbotLineage struct {
	Root string
	Name string
}

// LiveDir is the directory a bundle's path: points at.
func (l CertbotLineage) LiveDir() string { return filepath.Join(l.Root, "live", l.Name) }

// ArchiveDir holds every generation's real files.
func (l CertbotLineage) ArchiveDir() string { return filepath.Join(l.Root, "archive", l.Name) }

// CertbotPEM is the content of one generation.
type CertbotPEM struct {
	Cert, Chain, Fullchain, Key []byte
}

// WriteGeneration writes archive/NAME/{cert,chain,fullchain,privkey}N.pem.
// The key is created 0600 from its first byte (O_EXCL, never chmod after);
// a generation is never rewritten, as with certbot.
func (l CertbotLineage) WriteGeneration(gen int, p CertbotPEM) error {
	dir := l.ArchiveDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lineage %s: %w", l.Name, err)
	}
	files := []struct {
		base string
		data []byte
		mode os.FileMode
	}{
		{"cert", p.Cert, 0o644}, {"chain", p.Chain, 0o644},
		{"fullchain", p.Fullchain, 0o644}, {"privkey", p.Key, 0o600},
	}
	for _, f := range files {
		path := filepath.Join(dir, fmt.Sprintf("%s%d.pem", f.base, gen))
		if err := writeNew(path, f.data, f.mode); err != nil {
			return fmt.Errorf("lineage %s generation %d: %w", l.Name, gen, err)
		}
	}
	return nil
}

// Point re-points live links at generation gen: all four when names is
// empty, else only the named ones ("cert", "privkey", ...), which is how a
// test reproduces certbot caught mid-renewal. Each link is replaced by
// creating a temporary link and renaming it over the old one.
func (l CertbotLineage) Point(gen int, names ...string) error {
	if len(names) == 0 {
		names = []string{"cert", "chain", "fullchain", "privkey"}
	}
	live := l.LiveDir()
	if err := os.MkdirAll(live, 0o755); err != nil {
		return fmt.Errorf("lineage %s: %w", l.Name, err)
	}
	for _, n := range names {
		target := filepath.Join("..", "..", "archive", l.Name, fmt.Sprintf("%s%d.pem", n, gen))
		link := filepath.Join(live, n+".pem")
		tmp := link + ".tmp-link"
		_ = os.Remove(tmp)
		if err := os.Symlink(target, tmp); err != nil {
			return fmt.Errorf("lineage %s: link %s: %w", l.Name, n, err)
		}
		if err := os.Rename(tmp, link); err != nil {
			return fmt.Errorf("lineage %s: link %s: %w", l.Name, n, err)
		}
	}
	return nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
