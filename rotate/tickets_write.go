package rotate

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"certdeck/model"

	"golang.org/x/sys/unix"
)

// ticketTempPrefix starts the name of every temp file a key-dir writer
// creates; the next writer removes what a crash left.
const ticketTempPrefix = ".certdeck-tmp-"

// ticketWriteHook, when set (tests), runs before each rename of a key
// file, with the file's base name; an error stops the write there.
var ticketWriteHook func(name string) error

// writeSet replaces the dir's key files with set. old, when known, is
// what the files hold now: a role whose key does not change is not
// rewritten.
//
// Raw formats have three files, and three renames cannot be one atomic
// step, so their order is chosen so that a crash (or a server reloading)
// between any two of them still finds every key that matters: the key
// that was encrypting (C) and the one about to (N). Rotating {P, C, N} to
// {C, N, F} writes previous first ({C, C, N}: only P, which the rotation
// drops anyway, is gone), then current ({C, N, N}: N encrypts, C still
// decrypts), then next ({C, N, F}). Each intermediate state is safe to
// load, and one the next rotation recognises and finishes (rotatedSet).
// The dir is fsynced after every rename so the order survives a power cut.
func (d *TicketDir) writeSet(set model.TicketKeySet, old *model.TicketKeySet, steps *[]string) error {
	if d.Format == model.TicketHAProxy {
		data, err := model.EncodeHAProxyTicketKeys([]model.TicketKey{set.Previous, set.Current, set.Next})
		if err != nil {
			return err
		}
		defer clear(data)
		if err := d.replaceFile(model.HAProxyTicketFile, data); err != nil {
			return err
		}
		*steps = append(*steps, fmt.Sprintf("wrote %s: previous %s, current %s, next %s", model.HAProxyTicketFile,
			model.ShortKeyName(set.Previous.Name()), model.ShortKeyName(set.Current.Name()), model.ShortKeyName(set.Next.Name())))
		return nil
	}
	for _, role := range []model.TicketRole{model.RolePrevious, model.RoleCurrent, model.RoleNext} {
		k := set.ByRole(role)
		if old != nil && old.ByRole(role).SameKey(k) {
			continue
		}
		data, err := k.Encode(d.Format)
		if err != nil {
			return err
		}
		err = d.replaceFile(model.TicketKeyFile(role), data)
		clear(data)
		if err != nil {
			return err
		}
		*steps = append(*steps, fmt.Sprintf("wrote %s: %s", model.TicketKeyFile(role), model.ShortKeyName(k.Name())))
	}
	return nil
}

// replaceFile writes data to a temp file in the dir (O_EXCL, mode 0600
// from its first byte, fsynced), gives it the owner and group of the file
// it replaces, renames it over name and fsyncs the dir.
func (d *TicketDir) replaceFile(name string, data []byte) error {
	target := filepath.Join(d.Dir, name)
	tmp, err := createTicketTemp(d.Dir, name)
	if err != nil {
		return err
	}
	tmpPath := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmpPath)
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(fmt.Errorf("write %s: %w", name, err))
	}
	if fi, err := os.Lstat(target); err == nil && fi.Mode().IsRegular() {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
			// A server running as its own user keeps reading its keys.
			_ = tmp.Chown(int(st.Uid), int(st.Gid))
		}
	}
	if err := tmp.Sync(); err != nil {
		return fail(fmt.Errorf("sync %s: %w", name, err))
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmpPath)
		return fmt.Errorf("close %s: %w", name, err)
	}
	if ticketWriteHook != nil {
		if err := ticketWriteHook(name); err != nil {
			os.Remove(tmpPath)
			return err
		}
	}
	if err := os.Rename(tmpPath, target); err != nil {
		os.Remove(tmpPath)
		return fmt.Errorf("replace %s: %w", name, err)
	}
	return syncDir(d.Dir)
}

func createTicketTemp(dir, name string) (*os.File, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, ticketTempPrefix+name+"-"+hex.EncodeToString(rnd[:]))
	f, err := openFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create temp for %s: %w", name, err)
	}
	return f, nil
}

// writeMeta records when each key of set took its role: kept from the
// old meta for a key that holds the same role as before, now otherwise.
// Pool member records are carried over.
func (d *TicketDir) writeMeta(set model.TicketKeySet, old model.TicketMeta, now time.Time, before *model.TicketKeySet) error {
	m := model.TicketMeta{Format: d.Format, CreatedAt: old.CreatedAt, RotatedAt: now.UTC(), Members: old.Members}
	if before == nil { // init
		m.CreatedAt, m.RotatedAt = now.UTC(), time.Time{}
	}
	for _, role := range model.TicketRoles {
		k := set.ByRole(role)
		since := now.UTC()
		if s, ok := old.Since(role, k.Name()); ok && before != nil && before.ByRole(role).SameKey(k) {
			since = s
		}
		m.Keys = append(m.Keys, model.TicketMetaKey{Role: role, Name: k.Name(), Since: since})
	}
	return d.replaceFile(model.TicketMetaFile, m.Encode())
}

// removeTicketLeftovers deletes temp files a crashed writer left. The
// caller holds the lock, so no live writer owns them.
func removeTicketLeftovers(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("scan key dir: %w", err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ticketTempPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove leftover %s: %w", e.Name(), err)
		}
	}
	return nil
}
