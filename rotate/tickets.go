package rotate

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"certdeck/model"
)

// TicketDir is a session-ticket key dir that certdeck creates and rotates:
//
//	nginx48, nginx80, apache48:  current.key next.key previous.key  (raw)
//	haproxy:                     tls-ticket-keys  (base64 lines: previous, current, next)
//	every format:                certdeck-tickets.json (when each key took its role), .lock
//
// Rotation moves every key one role along, as nginx's next/current/previous
// discipline asks: previous ← current, current ← next, next ← a fresh key
// from crypto/rand. The key that starts encrypting was installed
// decrypt-only at the previous rotation, so a server reloaded before its
// neighbours hands out tickets they already accept; the key that stops
// encrypting stays as previous until the next rotation, so its tickets
// still resume. Every file is replaced by rename(2) from a temp file
// created 0600 with O_EXCL: a reader sees each file whole, old or new.
type TicketDir struct {
	Dir    string
	Format model.TicketFormat
	// Clock stamps the meta file and judges ticket lifetimes (nil:
	// time.Now).
	Clock func() time.Time
	// Rand is where fresh keys come from (nil: crypto/rand). Tests only.
	Rand io.Reader
	// LockTimeout bounds the wait for another writer (0:
	// DefaultLockTimeout).
	LockTimeout time.Duration
	// ReadOnly (--read-only) refuses every write with ErrReadOnly; a dry
	// run is still allowed.
	ReadOnly bool
}

func (d *TicketDir) now() time.Time {
	if d.Clock != nil {
		return d.Clock()
	}
	return time.Now()
}

func (d *TicketDir) rand() io.Reader {
	if d.Rand != nil {
		return d.Rand
	}
	return rand.Reader
}

// TicketResult says what an init or rotation did: the key names by role
// before and after (names only: the secrets never leave the files).
type TicketResult struct {
	// Action is "init", "rotate" or "convert".
	Action string
	Dir    string
	Format model.TicketFormat
	// From is the source dir and format of a conversion.
	From       string
	FromFormat model.TicketFormat
	Before     map[model.TicketRole]string // empty for init
	After      map[model.TicketRole]string
	// Finished is set when this run completed a rotation a crash had
	// interrupted, instead of rotating again.
	Finished string
	// Unchanged is set by init --if-missing when the dir held valid keys.
	Unchanged bool
	// Steps lists what was (or, for a dry run, would be) written.
	Steps []string
	// Warnings are worth saying but did not stop the run (the key dir is
	// not on tmpfs, a file was readable by others before it was replaced).
	Warnings []string
}

// Refusal reasons of key-dir writers (a *Refusal: nothing was written).
const (
	// ReasonTicketKeysExist: init found keys already there.
	ReasonTicketKeysExist RefusalReason = "ticket keys exist"
	// ReasonPreviousInUse: the key a rotation would drop may still
	// decrypt tickets in use (ticket_lifetime).
	ReasonPreviousInUse RefusalReason = "previous key in use"
)

// InitOptions configure TicketDir.Init.
type InitOptions struct {
	// Size is the raw key size, 48 or 80 (0: the format's default, 80
	// where it allows it).
	Size int
	// IfMissing makes init a no-op when the dir already holds a complete,
	// valid key set (for a boot script: a tmpfs is empty after reboot).
	IfMissing bool
}

// Init creates the key dir (0700, when missing) and three fresh keys. It
// refuses a dir that already holds any key file, unless IfMissing and the
// set there is complete and valid.
func (d *TicketDir) Init(ctx context.Context, opt InitOptions) (*TicketResult, error) {
	size := opt.Size
	if size == 0 {
		size = model.DefaultTicketKeySize(d.Format)
	}
	if _, err := model.ValidateTicketFormat(string(d.Format)); err != nil {
		return nil, err
	}
	if !containsInt(model.TicketKeySizes(d.Format), size) {
		return nil, refuse(ReasonBadInput, "%s keys are %s bytes, not %d", d.Format, joinInts(model.TicketKeySizes(d.Format)), size)
	}
	if d.ReadOnly {
		return nil, fmt.Errorf("ticket keys %s: %w", d.Dir, ErrReadOnly)
	}
	if err := checkBeforeCreate("key dir "+d.Dir, d.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	unlock, err := d.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res := &TicketResult{Action: "init", Dir: d.Dir, Format: d.Format, Before: map[model.TicketRole]string{}}
	read := ReadTicketDir(d.Dir, d.Format, d.now())
	if present := presentFiles(read); len(present) > 0 {
		set, facts := model.InspectTicketDir(read)
		if opt.IfMissing && set.Complete() && !hasCrit(facts) {
			res.Unchanged, res.After = true, namesOf(set)
			return res, nil
		}
		return nil, refuse(ReasonTicketKeysExist, "%s already holds %s: rotate it with certdeck tickets rotate, or remove the files to start over", d.Dir, strings.Join(present, ", "))
	}
	var set model.TicketKeySet
	for _, r := range model.TicketRoles {
		k, err := d.freshKey(size)
		if err != nil {
			return nil, err
		}
		switch r {
		case model.RoleCurrent:
			set.Current = k
		case model.RoleNext:
			set.Next = k
		case model.RolePrevious:
			set.Previous = k
		}
	}
	now := d.now()
	if err := d.writeSet(set, nil, &res.Steps); err != nil {
		return nil, err
	}
	if err := d.writeMeta(set, model.TicketMeta{}, now, nil); err != nil {
		return nil, err
	}
	res.After = namesOf(set)
	res.Warnings = append(res.Warnings, memoryFSWarning(read)...)
	return res, nil
}

// RotateOptions configure TicketDir.Rotate.
type RotateOptions struct {
	// DryRun reports what would be written and writes nothing.
	DryRun bool
	// TicketLifetime is how long a ticket stays valid: the previous key
	// (dropped by this rotation) must have stopped encrypting at least
	// that long ago, or the rotation is refused (0: no check).
	TicketLifetime time.Duration
	// Force drops the previous key even when TicketLifetime says its
	// tickets may still be in use.
	Force bool
}

// Rotate moves every key one role along (previous ← current, current ←
// next, next ← fresh). A dir left half-rotated by a crash (two roles
// holding one key) is finished instead, and nothing more is rotated: a
// second rotation straight after would drop a key that was encrypting a
// moment ago. Bad input (a missing, unreadable or wrong-sized file, a
// HAProxy file with fewer than three lines) is refused and nothing is
// written.
func (d *TicketDir) Rotate(ctx context.Context, opt RotateOptions) (*TicketResult, error) {
	if _, err := model.ValidateTicketFormat(string(d.Format)); err != nil {
		return nil, err
	}
	var unlock func()
	if opt.DryRun {
		if err := checkTicketDirSafe(d.Dir); err != nil {
			return nil, err
		}
		unlock = func() {}
	} else {
		var err error
		if unlock, err = d.beginWrite(ctx); err != nil {
			return nil, err
		}
	}
	defer unlock()
	return d.rotateLocked(opt)
}

// rotateLocked is Rotate for a caller that holds the dir's lock (or runs
// a dry run).
func (d *TicketDir) rotateLocked(opt RotateOptions) (*TicketResult, error) {
	now := d.now()
	read := ReadTicketDir(d.Dir, d.Format, now)
	set, facts := model.InspectTicketDir(read)
	if err := refuseUnreadable(facts); err != nil {
		return nil, err
	}
	meta, _ := model.ParseTicketMeta(read.Meta) // zero when missing: ages then come from mtimes
	res := &TicketResult{Action: "rotate", Dir: d.Dir, Format: d.Format, Before: namesOf(set)}
	next, finished := rotatedSet(set)
	if finished == "" && rotatedButUnrecorded(meta, set) {
		next = set
		finished = "a rotation was interrupted after its key files were replaced; recorded it in " + model.TicketMetaFile
	}
	if finished != "" {
		res.Finished = finished
	} else if !opt.Force && opt.TicketLifetime > 0 && !neverRotated(read.Meta, meta, set) {
		cur, _ := facts.Key(model.RoleCurrent)
		if until := cur.Since.Add(opt.TicketLifetime); !cur.Since.IsZero() && now.Before(until) {
			return nil, refuse(ReasonPreviousInUse, "the previous key %s may still decrypt tickets until %s (the current key took over at %s, ticket_lifetime %s); "+
				"rotate after that, or --force to drop it now",
				model.ShortKeyName(set.Previous.Name()), until.UTC().Format(time.RFC3339), cur.Since.UTC().Format(time.RFC3339), model.FormatDays(opt.TicketLifetime))
		}
	}
	for _, fd := range facts.Files {
		if fd.Problem != "" && strings.HasPrefix(fd.Problem, "mode") {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s was %s before this rotation: the keys it held may have been read; it is replaced with a 0600 file", fd.Name, fd.Problem))
		}
	}
	res.Warnings = append(res.Warnings, memoryFSWarning(read)...)
	if opt.DryRun {
		res.Steps = d.planSteps(set, next, finished)
		res.After = namesOf(next)
		if next.Next.IsZero() {
			res.After[model.RoleNext] = "(fresh key)"
		}
		return res, nil
	}
	if next.Next.IsZero() {
		k, err := d.freshKey(set.Current.Size())
		if err != nil {
			return nil, err
		}
		next.Next = k
	}
	if err := d.writeSet(next, &set, &res.Steps); err != nil {
		return nil, err
	}
	if err := d.writeMeta(next, meta, now, &set); err != nil {
		return nil, err
	}
	res.After = namesOf(next)
	return res, nil
}

// rotatedSet is the key set after one rotation of set: next left zero
// means "a fresh key". A set that a crash left between renames (see
// writeSet: previous is written first, then current, then next) is
// completed instead: {C, C, N} (previous already replaced) becomes
// {C, N, fresh}; {C, N, N} (current replaced too) becomes {C, N, fresh}.
func rotatedSet(set model.TicketKeySet) (model.TicketKeySet, string) {
	switch {
	case set.Previous.SameKey(set.Current) && !set.Current.SameKey(set.Next):
		return model.TicketKeySet{Previous: set.Current, Current: set.Next}, "a rotation was interrupted after previous.key was replaced; finished it (current ← next, next ← fresh)"
	case set.Current.SameKey(set.Next) && !set.Previous.SameKey(set.Current):
		return model.TicketKeySet{Previous: set.Previous, Current: set.Current}, "a rotation was interrupted after current.key was replaced; finished it (next ← fresh)"
	}
	return model.TicketKeySet{Previous: set.Current, Current: set.Next}, ""
}

// neverRotated reports a dir whose meta says it was made by init and not
// rotated since, with the keys init made: its previous key never
// encrypted, so no ticket needs it. Without a meta file nothing is known,
// and the lifetime rule applies.
func neverRotated(raw []byte, m model.TicketMeta, set model.TicketKeySet) bool {
	if raw == nil || m.CreatedAt.IsZero() || !m.RotatedAt.IsZero() {
		return false
	}
	name, ok := "", false
	for _, k := range m.Keys {
		if k.Role == model.RolePrevious {
			name, ok = k.Name, true
		}
	}
	return ok && name == set.Previous.Name()
}

// rotatedButUnrecorded reports a dir whose files went through a rotation
// that the meta file does not record (a crash between the last rename and
// the meta write): the files' previous and current are the meta's current
// and next. Rotating again would drop a key that was encrypting a moment
// ago, so the rotation is recorded instead.
func rotatedButUnrecorded(m model.TicketMeta, set model.TicketKeySet) bool {
	var cur, next string
	for _, k := range m.Keys {
		switch k.Role {
		case model.RoleCurrent:
			cur = k.Name
		case model.RoleNext:
			next = k.Name
		}
	}
	return cur != "" && next != "" && set.Previous.Name() == cur && set.Current.Name() == next
}

// planSteps describes a rotation from set to next without doing it.
func (d *TicketDir) planSteps(set, next model.TicketKeySet, finished string) []string {
	short := func(k model.TicketKey) string { return model.ShortKeyName(k.Name()) }
	if finished != "" && !next.Next.IsZero() {
		return []string{"record the rotation in " + model.TicketMetaFile + " (the key files were already replaced)"}
	}
	if d.Format == model.TicketHAProxy {
		return []string{fmt.Sprintf("write %s: previous %s, current %s, next a fresh key (one rename)", model.HAProxyTicketFile, short(next.Previous), short(next.Current))}
	}
	var steps []string
	if !next.Previous.SameKey(set.Previous) {
		steps = append(steps, fmt.Sprintf("previous.key ← current.key (%s; drops %s)", short(set.Current), short(set.Previous)))
	}
	if !next.Current.SameKey(set.Current) {
		steps = append(steps, fmt.Sprintf("current.key ← next.key (%s starts encrypting)", short(next.Current)))
	}
	return append(steps, "next.key ← a fresh key from crypto/rand (decrypt-only until the next rotation)")
}

// refuseUnreadable turns findings that make a rotation unsafe into one
// refusal: rotating around a missing or damaged file would drop a key a
// server relies on, or promote one nobody holds.
func refuseUnreadable(f model.TicketDirFacts) error {
	if f.Error != "" {
		return refuse(ReasonBadInput, "%s", f.Error)
	}
	var bad []string
	for _, ff := range f.Files {
		if ff.Problem != "" && !strings.HasPrefix(ff.Problem, "mode") {
			bad = append(bad, ff.Name+": "+ff.Problem)
		}
	}
	for _, fd := range f.Findings {
		if fd.Status == model.Crit && strings.Contains(fd.Reason, "share the name") {
			bad = append(bad, fd.Reason)
		}
	}
	if len(bad) > 0 {
		return refuse(ReasonBadInput, "nothing rotated: %s", strings.Join(bad, "; "))
	}
	return nil
}

// freshKey draws a key of size bytes from Rand. Its name is random too,
// as OpenSSL's are: names only need to differ.
func (d *TicketDir) freshKey(size int) (model.TicketKey, error) {
	raw := make([]byte, size)
	defer clear(raw)
	if _, err := io.ReadFull(d.rand(), raw); err != nil {
		return model.TicketKey{}, fmt.Errorf("fresh ticket key: %w", err)
	}
	// Parse as nginx48/nginx80: the layout only decides which random
	// bytes become which half.
	f := model.TicketNginx80
	if size == model.TicketKey48 {
		f = model.TicketNginx48
	}
	return model.ParseTicketKey(f, raw)
}

// beginWrite checks the dir is safe, takes its lock and sweeps temp files
// a crashed writer left.
func (d *TicketDir) beginWrite(ctx context.Context) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d.ReadOnly {
		return nil, fmt.Errorf("ticket keys %s: %w", d.Dir, ErrReadOnly)
	}
	if err := checkTicketDirSafe(d.Dir); err != nil {
		return nil, err
	}
	lock, err := lockBundle(ctx, d.Dir, d.LockTimeout)
	if err != nil {
		return nil, err
	}
	if err := removeTicketLeftovers(d.Dir); err != nil {
		lock.unlock()
		return nil, err
	}
	return lock.unlock, nil
}

// checkTicketDirSafe applies the store's rules (strictmodes.go) to a key
// dir: owned by root or the running user, not writable by group or
// others, and no directory above it writable by others either (sticky
// ones like /tmp aside). Anyone who can write the dir, or rename it away
// from above, can swap a key file for a link or a key of their own, and
// read every ticket the servers issue after that.
func checkTicketDirSafe(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return refuse(ReasonBadInput, "key dir %s does not exist (certdeck tickets init creates it)", dir)
		}
		return fmt.Errorf("key dir: %w", err)
	}
	if !fi.IsDir() {
		return refuse(ReasonBadInput, "key dir %s: not a directory", dir)
	}
	return checkDirChain("key dir "+dir, dir)
}

func presentFiles(r model.TicketDirRead) []string {
	var out []string
	for _, f := range r.Files {
		if !f.Missing {
			out = append(out, f.Name)
		}
	}
	return out
}

func hasCrit(f model.TicketDirFacts) bool {
	for _, fd := range f.Findings {
		if fd.Status >= model.Crit {
			return true
		}
	}
	return false
}

func namesOf(set model.TicketKeySet) map[model.TicketRole]string {
	out := map[model.TicketRole]string{}
	for _, r := range model.TicketRoles {
		if k := set.ByRole(r); !k.IsZero() {
			out[r] = k.Name()
		}
	}
	return out
}

// memoryFSWarning is the tmpfs advice when the dir is on a disk.
func memoryFSWarning(r model.TicketDirRead) []string {
	if !r.FSKnown || model.IsMemoryFS(r.FSMagic) {
		return nil
	}
	return []string{fmt.Sprintf("%s is on %s, not tmpfs or ramfs: keys written to a disk outlive their rotation; %s",
		model.Sanitize(r.Dir), model.FSTypeName(r.FSMagic), model.TmpfsAdvice(r.Dir))}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, " or ")
}
