package rotate

import (
	"errors"
	"fmt"

	"certdeck/model"
)

// The console's `p` (publish) and `b` (rollback) actions on a configured
// store bundle go through these two calls, then Plan/Publish or
// PlanRollback/Rollback, always from a tea.Cmd (they do disk I/O and fsync).

// BundleStore returns the Store and bundle name behind a `layout: store`
// bundle, whose path is <store>/<name>, with opts applied (retention, audit
// log, clock, roots). readOnly comes from --read-only: the store refuses
// mutations on its own, whatever the UI shows.
func BundleStore(b model.Bundle, readOnly bool, opts StoreOptions) (*Store, string, error) {
	if b.Path == "" {
		return nil, "", fmt.Errorf("bundle %s: no path", b.Name)
	}
	dir, name := SplitBundleDir(b.Path)
	if err := checkBundleName(name); err != nil {
		return nil, "", fmt.Errorf("bundle %s: %w", b.Name, err)
	}
	return NewStore(dir, readOnly, opts), name, nil
}

// SourceInputs loads publish inputs from the bundle's configured `source:`
// (a certbot lineage or a staging dir with certbot's file names), adding
// its `ca:` file as the roots to verify against.
func SourceInputs(b model.Bundle) (Inputs, error) {
	if b.Source == "" {
		return Inputs{}, fmt.Errorf("bundle %s: no source: configured to publish from", b.Name)
	}
	in, err := LoadSource(b.Source)
	if err != nil {
		return Inputs{}, fmt.Errorf("bundle %s: %w", b.Name, err)
	}
	if b.CAFile != "" {
		ca, err := ReadCAFile(b.CAFile)
		if err != nil {
			return Inputs{}, fmt.Errorf("bundle %s: ca: %w", b.Name, err)
		}
		in.CA = ca
	}
	return in, nil
}

// IsRefusal reports whether err is a validation refusal (as opposed to an
// I/O failure), and its reason.
func IsRefusal(err error) (RefusalReason, bool) {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason, true
	}
	return "", false
}
