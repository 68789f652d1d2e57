package rotate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Meta is the content of a version's meta.json: what was published, when,
// from where, and a digest of every file so a reader can check a version
// is the one that was written. It never holds key material (the key file's
// digest reveals nothing about the key).
type Meta struct {
	Version string `json:"version"`
	// The leaf's summary; embedded, so its fields sit at the top level of
	// meta.json as before.
	VersionSummary
	Source      string            `json:"source,omitempty"`
	PublishedAt time.Time         `json:"published_at"`
	PublishedBy string            `json:"published_by,omitempty"` // user@host
	Files       map[string]string `json:"files"`                  // file name -> sha256 of its bytes
	// Previous is the version that was current when this one was
	// published ("" on a first publish, and in versions written before
	// certdeck kept it). It is the default rollback target while this
	// version is current (history.go). It sits in meta.json because that
	// file is staged, fsynced and renamed into place with the version,
	// before the swap of `current`: no crash can leave a current version
	// without it, nor a record naming a version that never was current.
	Previous string `json:"previous,omitempty"`
}

// maxMetaSize bounds meta.json; a real one is well under 2 KiB.
const maxMetaSize = 64 << 10

// ParseMeta decodes meta.json. Unknown fields are accepted (newer writers);
// missing essentials and malformed values are errors.
func ParseMeta(data []byte) (*Meta, error) {
	if len(data) > maxMetaSize {
		return nil, errors.New("meta.json: larger than 64 KiB")
	}
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("meta.json: %w", err)
	}
	if !IsVersionName(m.Version) {
		return nil, fmt.Errorf("meta.json: version %q is not a version name", m.Version)
	}
	if m.Serial == "" || !isHex(m.Serial) {
		return nil, fmt.Errorf("meta.json: serial %q is not hex", m.Serial)
	}
	if len(m.SHA256) != 64 || !isHex(m.SHA256) {
		return nil, errors.New("meta.json: sha256 is not a SHA-256 hex digest")
	}
	if !IsVersionName(m.Previous) {
		// Only a hand-edited file holds anything else; it must not make
		// the version unusable, so it reads as no record at all.
		m.Previous = ""
	}
	for name, sum := range m.Files {
		if !isPlainName(name) || len(sum) != 64 || !isHex(sum) {
			return nil, fmt.Errorf("meta.json: bad file entry %q", name)
		}
	}
	return &m, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && s != ""
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func newMeta(version, previous string, c *candidate, files map[string][]byte, source, by string, at time.Time) *Meta {
	m := &Meta{
		Version:        version,
		Previous:       previous,
		VersionSummary: c.summary,
		Source:         source,
		PublishedAt:    at.UTC(),
		PublishedBy:    by,
		Files:          map[string]string{},
	}
	for name, b := range files {
		m.Files[name] = digest(b)
	}
	return m
}
