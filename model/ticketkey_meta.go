package model

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// TicketMetaFile is the small file certdeck keeps beside the keys of a
// key dir: when each key took its role. A file's mtime says when it was
// written, which is not when its key started encrypting (current.key is
// written as a copy of next.key at rotation, and backups or config
// management touch files), so the meta file is the record and mtime only
// the fallback when it is missing or names other keys.
const TicketMetaFile = "certdeck-tickets.json"

// MaxTicketMetaSize bounds the meta file when it is read: a few hundred
// bytes, plus a line per pool member.
const MaxTicketMetaSize = 256 << 10

// TicketMeta is the content of TicketMetaFile. It holds names and times,
// never key bytes.
type TicketMeta struct {
	Version int          `json:"version"`
	Format  TicketFormat `json:"format"`
	// CreatedAt is when `tickets init` made the keys; RotatedAt the last
	// rotation (zero before the first: the previous key made by init
	// never encrypted, so dropping it needs no wait).
	CreatedAt time.Time       `json:"created_at,omitzero"`
	RotatedAt time.Time       `json:"rotated_at,omitzero"`
	Keys      []TicketMetaKey `json:"keys"`
	// Members records, per pool member (endpoint name), the last reload
	// after a write of this dir: which next key it confirmed holding.
	Members map[string]TicketMemberState `json:"members,omitempty"`
}

// TicketMetaKey is when one key took its role.
type TicketMetaKey struct {
	Role  TicketRole `json:"role"`
	Name  string     `json:"name"`
	Since time.Time  `json:"since"`
}

// TicketMemberState is what one pool member confirmed: the next key it was
// reloaded with (phase 1 of a pool rotation), when, or why not.
type TicketMemberState struct {
	Next  string    `json:"next,omitempty"` // key name the member holds as next
	At    time.Time `json:"at"`
	Error string    `json:"error,omitempty"` // the last reload failed: why
}

// ticketMetaVersion is the meta schema written by this certdeck.
const ticketMetaVersion = 1

// ParseTicketMeta decodes a meta file. Unknown fields are ignored (a
// newer certdeck may add some); names must be 32 hex digits and roles
// known, so a damaged file is refused rather than half-believed.
func ParseTicketMeta(data []byte) (TicketMeta, error) {
	var m TicketMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return TicketMeta{}, fmt.Errorf("ticket meta: not valid JSON: %w", err)
	}
	if m.Version != ticketMetaVersion {
		return TicketMeta{}, fmt.Errorf("ticket meta: version %d, this certdeck reads version %d", m.Version, ticketMetaVersion)
	}
	for _, k := range m.Keys {
		if !slices.Contains(TicketRoles, k.Role) {
			return TicketMeta{}, fmt.Errorf("ticket meta: unknown role %q", k.Role)
		}
		if !ValidKeyName(k.Name) {
			return TicketMeta{}, fmt.Errorf("ticket meta: key name %q is not 32 hex digits", k.Name)
		}
	}
	for _, ms := range m.Members {
		if ms.Next != "" && !ValidKeyName(ms.Next) {
			return TicketMeta{}, fmt.Errorf("ticket meta: member key name %q is not 32 hex digits", ms.Next)
		}
	}
	return m, nil
}

// Encode is the meta file's bytes (indented JSON, one trailing newline).
func (m TicketMeta) Encode() []byte {
	m.Version = ticketMetaVersion
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // plain strings and times: cannot fail
	}
	return append(out, '\n')
}

// Since is when the key name took role, if the meta records it.
func (m TicketMeta) Since(role TicketRole, name string) (time.Time, bool) {
	for _, k := range m.Keys {
		if k.Role == role && k.Name == name {
			return k.Since, true
		}
	}
	return time.Time{}, false
}

// ValidKeyName reports whether s is a key name as certdeck writes them:
// 32 lowercase hex digits.
func ValidKeyName(s string) bool {
	if len(s) != 2*TicketKeyNameLen {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
