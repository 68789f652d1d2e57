package rotate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"certdeck/model"

	"golang.org/x/sys/unix"
)

// ReadTicketDir reads a session-ticket key dir in format f: every key file
// (opened non-blocking, checked regular and size-capped through
// model.OpenRegularFile, so a FIFO never hangs it), each file's mode, size
// and mtime, the dir's file-system type (statfs) and the meta file. It
// does the I/O only; model.InspectTicketDir judges the result. Problems
// are recorded in the result, never returned: a dir that cannot be read
// at all has DirErr set.
func ReadTicketDir(dir string, f model.TicketFormat, now time.Time) model.TicketDirRead {
	r := model.TicketDirRead{Dir: dir, Format: f, At: now}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		r.DirErr = fmt.Errorf("key dir %s: %w", dir, unwrapPath(err))
		return r
	case !fi.IsDir():
		r.DirErr = fmt.Errorf("key dir %s: not a directory", dir)
		return r
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err == nil {
		r.FSMagic, r.FSKnown = int64(st.Type), true
	}
	for _, name := range model.TicketDirFiles(f) {
		r.Files = append(r.Files, readTicketFile(filepath.Join(dir, name), name))
	}
	meta := filepath.Join(dir, model.TicketMetaFile)
	data, err := model.ReadRegularFile(meta, "ticket meta", model.MaxTicketMetaSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		r.MetaErr = err
	default:
		r.Meta = data
	}
	return r
}

// LoadTicketDir reads and inspects a key dir: the keys by role (secrets)
// and the facts (names, ages, findings).
func LoadTicketDir(dir string, f model.TicketFormat, now time.Time) (model.TicketKeySet, model.TicketDirFacts) {
	return model.InspectTicketDir(ReadTicketDir(dir, f, now))
}

func readTicketFile(path, name string) model.TicketFileRead {
	fr := model.TicketFileRead{Name: name, Path: path}
	fh, err := model.OpenRegularFile(path, "ticket key file")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fr.Missing = true
		} else {
			fr.Err = describeOpenError(err)
		}
		if fi, serr := os.Stat(path); serr == nil {
			fr.Mode, fr.Size, fr.ModTime = fi.Mode(), fi.Size(), fi.ModTime()
		}
		return fr
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil {
		fr.Mode, fr.Size, fr.ModTime = fi.Mode(), fi.Size(), fi.ModTime()
	}
	data, err := model.ReadCapped(fh, path, "ticket key file", model.MaxTicketFileSize)
	if err != nil {
		fr.Err = err
		return fr
	}
	fr.Data = data
	return fr
}

// describeOpenError keeps the reason and drops the repeated path: the
// finding names the file already.
func describeOpenError(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("permission denied")
	}
	return err
}

// unwrapPath turns *fs.PathError into its bare cause ("no such file or
// directory"): the caller names the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
