package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"certdeck/model"
)

// DetectTicketFormat names the format of an existing key dir, for commands
// given --dir without --format: the format its meta file records (certdeck
// wrote it), else a tls-ticket-keys file (haproxy), else the size of
// current.key when it decides (80 bytes: nginx80). A 48-byte raw key is
// nginx48 or apache48, whose halves are in opposite order: that is never
// guessed, the error asks for --format.
func DetectTicketFormat(dir string) (model.TicketFormat, error) {
	if data, err := model.ReadRegularFile(filepath.Join(dir, model.TicketMetaFile), "ticket meta", model.MaxTicketMetaSize); err == nil {
		if m, err := model.ParseTicketMeta(data); err == nil {
			if f, err := model.ValidateTicketFormat(string(m.Format)); err == nil {
				return f, nil
			}
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, model.HAProxyTicketFile)); err == nil {
		return model.TicketHAProxy, nil
	}
	fi, err := os.Stat(filepath.Join(dir, model.TicketKeyFile(model.RoleCurrent)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s holds no ticket keys certdeck recognises (no %s, %s or current.key); give --format", dir, model.TicketMetaFile, model.HAProxyTicketFile)
	case err != nil:
		return "", fmt.Errorf("detect the key format of %s: %w", dir, err)
	case fi.Size() == model.TicketKey80:
		return model.TicketNginx80, nil
	}
	return "", fmt.Errorf("%s: current.key is %d bytes; 48-byte keys are nginx48 or apache48, whose halves are in opposite order: give --format", dir, fi.Size())
}
