package rotate

import (
	"context"
	"fmt"
	"os"
	"strings"

	"certdeck/model"
)

// Convert writes the keys of d into dst, laid out as dst.Format's server
// reads them: the same keys (names and secrets), each in the role it holds
// in d, with the role times of d's meta file. It is how one pool runs
// nginx and HAProxy on the same keys (both are OpenSSL, with AES-CBC and
// HMAC-SHA256: a ticket one issues, the other can open), and the only safe
// way across the 80-byte layouts, whose halves are in opposite order.
// Sizes must allow it: an 80-byte key has no apache48 form. dst must hold
// no key files yet.
func (d *TicketDir) Convert(ctx context.Context, dst *TicketDir) (*TicketResult, error) {
	for _, f := range []model.TicketFormat{d.Format, dst.Format} {
		if _, err := model.ValidateTicketFormat(string(f)); err != nil {
			return nil, err
		}
	}
	read := ReadTicketDir(d.Dir, d.Format, d.now())
	set, facts := model.InspectTicketDir(read)
	if err := refuseUnreadable(facts); err != nil {
		return nil, err
	}
	if !set.Complete() {
		return nil, refuse(ReasonBadInput, "%s holds no complete key set", d.Dir)
	}
	for _, r := range model.TicketRoles {
		if _, err := set.ByRole(r).Encode(dst.Format); err != nil {
			return nil, refuse(ReasonBadInput, "cannot convert %s to %s: %s", d.Format, dst.Format, err)
		}
	}
	if dst.ReadOnly {
		return nil, fmt.Errorf("ticket keys %s: %w", dst.Dir, ErrReadOnly)
	}
	if err := checkBeforeCreate("key dir "+dst.Dir, dst.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dst.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	unlock, err := dst.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if present := presentFiles(ReadTicketDir(dst.Dir, dst.Format, dst.now())); len(present) > 0 {
		return nil, refuse(ReasonTicketKeysExist, "%s already holds %s: convert into an empty dir", dst.Dir, strings.Join(present, ", "))
	}
	res := &TicketResult{Action: "convert", Dir: dst.Dir, Format: dst.Format, From: d.Dir, FromFormat: d.Format, Before: namesOf(set)}
	if err := dst.writeSet(set, nil, &res.Steps); err != nil {
		return nil, err
	}
	// Each key keeps the time it took its role in d (meta, else mtime):
	// converting does not make an old key young.
	m := model.TicketMeta{Format: dst.Format}
	for _, k := range facts.Keys {
		m.Keys = append(m.Keys, model.TicketMetaKey{Role: k.Role, Name: k.Name, Since: k.Since.UTC()})
	}
	if err := dst.replaceFile(model.TicketMetaFile, m.Encode()); err != nil {
		return nil, err
	}
	res.After = namesOf(set)
	res.Warnings = memoryFSWarning(ReadTicketDir(dst.Dir, dst.Format, dst.now()))
	return res, nil
}
