package model

import (
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// TicketRole is what a key does on the servers that load it. Rotation
// moves every key one role along: next → current → previous → dropped.
type TicketRole string

const (
	// RoleCurrent encrypts new tickets (and decrypts).
	RoleCurrent TicketRole = "current"
	// RoleNext is decrypt-only: installed everywhere before anyone
	// encrypts with it, so a server that was reloaded first can hand out
	// tickets the others already accept.
	RoleNext TicketRole = "next"
	// RolePrevious is decrypt-only: the key that encrypted until the last
	// rotation, kept until its tickets have expired.
	RolePrevious TicketRole = "previous"
)

// TicketRoles in the order they are listed: the encrypting key first.
var TicketRoles = []TicketRole{RoleCurrent, RoleNext, RolePrevious}

// Describe is the role in an operator's words.
func (r TicketRole) Describe() string {
	switch r {
	case RoleCurrent:
		return "encrypts"
	case RoleNext:
		return "decrypt-only (next)"
	case RolePrevious:
		return "decrypt-only (previous)"
	}
	return string(r)
}

// HAProxyTicketFile is the one file of a haproxy-format key dir: three
// base64 lines, previous, current, next (tls-ticket-keys points at it).
const HAProxyTicketFile = "tls-ticket-keys"

// TicketKeyFile is the file of one role in a raw-format (nginx, apache)
// key dir: current.key, next.key, previous.key.
func TicketKeyFile(r TicketRole) string { return string(r) + ".key" }

// TicketDirFiles lists the key files of a dir in format f (the meta file
// aside).
func TicketDirFiles(f TicketFormat) []string {
	if f == TicketHAProxy {
		return []string{HAProxyTicketFile}
	}
	out := make([]string, len(TicketRoles))
	for i, r := range TicketRoles {
		out[i] = TicketKeyFile(r)
	}
	return out
}

// MaxTicketFileSize caps a key file read: raw keys are 80 bytes; a
// HAProxy file of a few hundred lines is a few KiB.
const MaxTicketFileSize = 64 << 10

// TicketFileRead is what a reader found at one key file. Data is secret:
// it is parsed by InspectTicketDir and never kept in TicketDirFacts.
type TicketFileRead struct {
	Name    string // base name: current.key, tls-ticket-keys
	Path    string
	Missing bool  // no such file
	Err     error // could not be opened or read (not regular, too large, permission)
	Mode    fs.FileMode
	Size    int64
	ModTime time.Time
	Data    []byte
}

// TicketDirRead is everything a reader (rotate.ReadTicketDir) found in a
// key dir, I/O done: InspectTicketDir judges it without touching the disk.
type TicketDirRead struct {
	Dir    string
	Format TicketFormat
	At     time.Time
	// DirErr is set when the dir itself cannot be read (missing, not a
	// directory, permission): nothing else is known.
	DirErr error
	// FSMagic is the dir's file-system type from statfs(2) (f_type);
	// FSKnown is false when statfs failed.
	FSMagic int64
	FSKnown bool
	Files   []TicketFileRead
	// Meta is the meta file's content; nil when it is missing. MetaErr is
	// set when it exists but could not be read.
	Meta    []byte
	MetaErr error
}

// TicketKeySet is the keys of a dir by role, secrets included: what a
// rotation moves and what a Go server encrypts and decrypts with. A zero
// key is a role that could not be read.
type TicketKeySet struct {
	Current, Next, Previous TicketKey
}

// ByRole returns the key of role r.
func (s TicketKeySet) ByRole(r TicketRole) TicketKey {
	switch r {
	case RoleCurrent:
		return s.Current
	case RoleNext:
		return s.Next
	case RolePrevious:
		return s.Previous
	}
	return TicketKey{}
}

// Complete reports whether every role holds a key.
func (s TicketKeySet) Complete() bool {
	return !s.Current.IsZero() && !s.Next.IsZero() && !s.Previous.IsZero()
}

// TicketDirFacts is what a key dir read established, as plain values: key
// names, roles, ages, file modes, findings. No secret, so it can go into
// the state, the console and JSON.
type TicketDirFacts struct {
	Dir    string       `json:"dir"`
	Format TicketFormat `json:"format"`
	ReadAt time.Time    `json:"read_at"`
	// Error is set when the dir could not be read at all.
	Error string `json:"error,omitempty"`
	// Keys in role order (current, next, previous); roles whose file
	// could not be parsed are absent.
	Keys  []TicketKeyFacts  `json:"keys"`
	Files []TicketFileFacts `json:"files"`
	// FSType names the dir's file system ("tmpfs", "ext4", "magic
	// 0x…"); OnMemoryFS is true for tmpfs and ramfs.
	FSType     string `json:"fs_type,omitempty"`
	OnMemoryFS bool   `json:"on_memory_fs"`
	// Findings are the time-independent judgements of the read (wrong
	// sizes, modes, missing files, file system); ages are judged against
	// the clock by JudgeTicketDir.
	Findings []Finding `json:"findings,omitempty"`
	// Notes say what is worth knowing but not wrong ("ages from file
	// times: no meta file").
	Notes []string `json:"notes,omitempty"`
	// Members is the meta file's pool record (see TicketMemberState).
	Members map[string]TicketMemberState `json:"members,omitempty"`
}

// TicketKeyFacts is one key: its role, its name (the only part shown) and
// since when it holds that role.
type TicketKeyFacts struct {
	Role TicketRole `json:"role"`
	Name string     `json:"name"`
	Size int        `json:"size"`
	File string     `json:"file"` // base name; for haproxy "tls-ticket-keys line N"
	// Since is when the key took its role: from the meta file, else the
	// file's mtime (SinceFrom says which: "meta" or "mtime").
	Since     time.Time `json:"since"`
	SinceFrom string    `json:"since_from"`
}

// TicketFileFacts is one key file as found.
type TicketFileFacts struct {
	Name    string      `json:"name"`
	Mode    fs.FileMode `json:"mode"`
	Size    int64       `json:"size"`
	ModTime time.Time   `json:"mod_time,omitzero"`
	Missing bool        `json:"missing,omitempty"`
	Problem string      `json:"problem,omitempty"`
}

// Key returns the facts of the key holding role r.
func (f *TicketDirFacts) Key(r TicketRole) (TicketKeyFacts, bool) {
	for _, k := range f.Keys {
		if k.Role == r {
			return k, true
		}
	}
	return TicketKeyFacts{}, false
}

// Holds reports whether name is one of the dir's keys, and its role.
func (f *TicketDirFacts) Holds(name string) (TicketRole, bool) {
	for _, k := range f.Keys {
		if k.Name == name {
			return k.Role, true
		}
	}
	return "", false
}

// Memory-backed file systems (statfs f_type; linux/magic.h).
const (
	fsTmpfs = 0x01021994
	fsRamfs = 0x858458f6
)

var fsNames = map[int64]string{
	fsTmpfs:    "tmpfs",
	fsRamfs:    "ramfs",
	0xEF53:     "ext4",
	0x58465342: "xfs",
	0x9123683E: "btrfs",
	0x794c7630: "overlayfs",
	0x6969:     "nfs",
	0x2fc12fc1: "zfs",
	0x01021997: "9p",
	0x65735546: "fuse",
}

// FSTypeName names a statfs f_type.
func FSTypeName(magic int64) string {
	if n, ok := fsNames[magic]; ok {
		return n
	}
	return fmt.Sprintf("magic 0x%x", uint64(magic))
}

// IsMemoryFS reports whether a statfs f_type is tmpfs or ramfs.
func IsMemoryFS(magic int64) bool { return magic == fsTmpfs || magic == fsRamfs }

// TmpfsAdvice is how to give a key dir memory-backed storage, for the
// finding and for `tickets init`. The dir is a shell word in the mount
// command (ShellWords: pasted, it names the dir and runs nothing else)
// and an fstab field in the fstab line (FstabField).
func TmpfsAdvice(dir string) string {
	return fmt.Sprintf("mount a tmpfs there before creating the keys: mount -t tmpfs -o size=1m,mode=0700,noswap tmpfs %s "+
		"(noswap needs Linux 6.4; without it use ramfs, which is never swapped), "+
		"or the fstab line \"tmpfs %s tmpfs size=1m,mode=0700,noswap 0 0\"; "+
		"the keys vanish at reboot by design, so run certdeck tickets init --if-missing before the server starts",
		ShellWords(dir), FstabField(dir))
}

// FstabField is p as one field of an fstab(5) line: fields are split on
// blanks and a line ends at a newline, so a space, tab, newline and
// backslash are written as the octal escapes getmntent(3) decodes (\040,
// \011, \012, \134).
func FstabField(p string) string {
	return fstabEscapes.Replace(p)
}

var fstabEscapes = strings.NewReplacer(" ", `\040`, "\t", `\011`, "\n", `\012`, `\`, `\134`)

// InspectTicketDir parses what a reader found in a key dir and judges
// what does not depend on the clock. It returns the keys (secrets, for
// rotation and Go servers) and the facts (names only).
func InspectTicketDir(r TicketDirRead) (TicketKeySet, TicketDirFacts) {
	facts := TicketDirFacts{Dir: r.Dir, Format: r.Format, ReadAt: r.At}
	var set TicketKeySet
	if r.DirErr != nil {
		facts.Error = r.DirErr.Error()
		return set, facts
	}
	add := func(s Status, format string, args ...any) {
		facts.Findings = append(facts.Findings, Finding{Status: s, Reason: fmt.Sprintf(format, args...)})
	}
	if r.FSKnown {
		facts.FSType = FSTypeName(r.FSMagic)
		facts.OnMemoryFS = IsMemoryFS(r.FSMagic)
		if !facts.OnMemoryFS {
			add(Warn, "key dir is on %s, not tmpfs or ramfs: the keys survive on disk (and in its backups) after they are dropped, "+
				"so a stolen disk decrypts recorded sessions; %s", facts.FSType, TmpfsAdvice(r.Dir))
		}
	}
	meta, metaOK := TicketMeta{}, false
	switch {
	case r.MetaErr != nil:
		facts.Notes = append(facts.Notes, "ages from file times: "+r.MetaErr.Error())
	case r.Meta == nil:
		facts.Notes = append(facts.Notes, "ages from file times: no "+TicketMetaFile)
	default:
		m, err := ParseTicketMeta(r.Meta)
		if err != nil {
			facts.Notes = append(facts.Notes, "ages from file times: "+err.Error())
		} else {
			meta, metaOK = m, true
			facts.Members = m.Members
		}
	}
	files := map[string]TicketFileRead{}
	for _, fr := range r.Files {
		files[fr.Name] = fr
	}
	// file checks one key file's presence and modes and returns its data
	// when it can be parsed.
	file := func(name string) (TicketFileRead, bool) {
		fr, ok := files[name]
		ff := TicketFileFacts{Name: name, Missing: !ok || fr.Missing}
		defer func() { facts.Files = append(facts.Files, ff) }()
		if ff.Missing {
			ff.Problem = "missing"
			add(Crit, "%s is missing (the server cannot load it; certdeck tickets init creates a key dir)", name)
			return fr, false
		}
		ff.Mode, ff.Size, ff.ModTime = fr.Mode, fr.Size, fr.ModTime
		if fr.Err != nil {
			ff.Problem = fr.Err.Error()
			add(Crit, "%s cannot be read: %s", name, ff.Problem)
			return fr, false
		}
		if bad := fr.Mode.Perm() & 0o077; bad != 0 {
			ff.Problem = fmt.Sprintf("mode %04o", fr.Mode.Perm())
			add(Crit, "%s is %s by group or others (mode %04o): whoever reads it decrypts every ticket it protects; fix: chmod 600 %s",
				name, accessWord(bad), fr.Mode.Perm(), ShellWords(fr.Path))
		}
		return fr, true
	}
	var found []TicketKeyFacts
	keyFacts := func(role TicketRole, k TicketKey, fileLabel string, fr TicketFileRead) {
		kf := TicketKeyFacts{Role: role, Name: k.Name(), Size: k.Size(), File: fileLabel, Since: fr.ModTime, SinceFrom: "mtime"}
		if metaOK {
			if since, ok := meta.Since(role, kf.Name); ok {
				kf.Since, kf.SinceFrom = since, "meta"
			}
		}
		found = append(found, kf)
	}
	if r.Format == TicketHAProxy {
		fr, ok := file(HAProxyTicketFile)
		if ok {
			keys, err := ParseHAProxyTicketKeys(fr.Data)
			if err != nil {
				facts.Files[len(facts.Files)-1].Problem = err.Error()
				add(Crit, "%s: %s", HAProxyTicketFile, err)
			} else {
				n := len(keys)
				set.Previous, set.Current, set.Next = HAProxyRoles(keys)
				for i, role := range []TicketRole{RoleCurrent, RoleNext, RolePrevious} {
					line := []int{n - 1, n, n - 2}[i]
					keyFacts(role, set.ByRole(role), fmt.Sprintf("%s line %d", HAProxyTicketFile, line), fr)
				}
				if n > HAProxyTicketLines {
					facts.Notes = append(facts.Notes, fmt.Sprintf("%s: lines 1-%d are not used (HAProxy loads the last 3)", HAProxyTicketFile, n-HAProxyTicketLines))
				}
			}
		}
	} else {
		for _, role := range TicketRoles {
			name := TicketKeyFile(role)
			fr, ok := file(name)
			if !ok {
				continue
			}
			k, err := ParseTicketKey(r.Format, fr.Data)
			if err != nil {
				facts.Files[len(facts.Files)-1].Problem = err.Error()
				add(Crit, "%s is the wrong size: %s", name, err)
				continue
			}
			switch role {
			case RoleCurrent:
				set.Current = k
			case RoleNext:
				set.Next = k
			case RolePrevious:
				set.Previous = k
			}
			keyFacts(role, k, name, fr)
		}
	}
	facts.Keys = found
	judgeDuplicates(set, add)
	return set, facts
}

// judgeDuplicates flags two roles holding one key name: the same key twice
// is what a rotation interrupted between its renames leaves (harmless:
// every key that matters is still there); two different keys under one
// name is a fault, since a server tries only one key per name.
func judgeDuplicates(set TicketKeySet, add func(Status, string, ...any)) {
	for i, a := range TicketRoles {
		for _, b := range TicketRoles[i+1:] {
			ka, kb := set.ByRole(a), set.ByRole(b)
			if ka.IsZero() || kb.IsZero() || ka.NameBytes() != kb.NameBytes() {
				continue
			}
			if ka.SameKey(kb) {
				add(Warn, "the %s and %s keys are the same key (%s): an interrupted rotation? certdeck tickets rotate finishes it",
					a, b, ShortKeyName(ka.Name()))
			} else {
				add(Crit, "the %s and %s keys share the name %s but not their secrets: servers try one key per name, so some tickets fail to decrypt",
					a, b, ShortKeyName(ka.Name()))
			}
		}
	}
}

// JudgeTicketDir is the status of a key dir at now: the read's findings,
// and the age of the encrypting key against rotateEvery (WARN past it,
// CRIT past twice it; 0: no age rule).
func JudgeTicketDir(f *TicketDirFacts, rotateEvery time.Duration, now time.Time) Verdict {
	if f == nil {
		return Verdict{Status: Unknown, Reasons: []string{"not read yet"}}
	}
	if f.Error != "" {
		return Verdict{Status: Error, Reasons: []string{f.Error}}
	}
	v := Verdict{Status: OK}
	for _, fd := range f.Findings {
		v.add(fd.Status, fd.Reason)
	}
	if cur, ok := f.Key(RoleCurrent); ok && rotateEvery > 0 && !cur.Since.IsZero() {
		age := now.Sub(cur.Since)
		switch {
		case age > 2*rotateEvery:
			v.add(Crit, fmt.Sprintf("encrypting key %s is %s old (crit > 2 × rotate_every %s)", ShortKeyName(cur.Name), formatLeft(age), FormatDays(rotateEvery)))
		case age > rotateEvery:
			v.add(Warn, fmt.Sprintf("encrypting key %s is %s old (rotate_every %s)", ShortKeyName(cur.Name), formatLeft(age), FormatDays(rotateEvery)))
		}
	}
	return v
}

// accessWord says what mode bits (within 0o077) grant.
func accessWord(bits fs.FileMode) string {
	r, w := bits&0o044 != 0, bits&0o022 != 0
	switch {
	case r && w:
		return "readable and writable"
	case w:
		return "writable"
	}
	return "readable"
}
