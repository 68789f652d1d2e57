package model

import (
	"fmt"
	"path/filepath"
	"time"
)

// BundleReport is one bundle as `certdeck check --format json` prints it
// (issue 4's schema). Build it with BundleState.Report; ui/report only
// encodes it.
type BundleReport struct {
	Name     string              `json:"name"`
	Path     string              `json:"path"`
	Layout   string              `json:"layout"`
	Version  string              `json:"version,omitempty"`
	Status   Status              `json:"status"`
	Reasons  []string            `json:"reasons"`
	Serial   string              `json:"serial,omitempty"`
	NotAfter *time.Time          `json:"not_after,omitempty"`
	DaysLeft *int                `json:"days_left,omitempty"`
	KeyMatch *bool               `json:"key_match"` // null when no key or no certificate was read
	SHA256   string              `json:"sha256,omitempty"`
	Files    []BundleFileReport  `json:"files"`
	Drift    []BundleDriftReport `json:"drift"`
}

// BundleFileReport is one file of a bundle: never its contents.
type BundleFileReport struct {
	Name   string `json:"name"`
	Target string `json:"target,omitempty"` // symlink target as written
	Mode   string `json:"mode,omitempty"`   // "0600"
	Error  string `json:"error,omitempty"`
}

// BundleDriftReport is one serving endpoint.
type BundleDriftReport struct {
	Endpoint     string     `json:"endpoint"`
	State        DriftState `json:"state"`
	ServedSerial string     `json:"served_serial,omitempty"`
}

// Report renders the bundle for `check`. Times are UTC (RFC 3339 in JSON).
func (b *BundleState) Report(now time.Time) BundleReport {
	r := BundleReport{
		Name: b.Bundle.Name, Path: b.Bundle.Path, Layout: b.Bundle.Layout,
		Status: b.Verdict.Status, Reasons: append([]string{}, b.Verdict.Reasons...),
		Files: []BundleFileReport{}, Drift: []BundleDriftReport{},
	}
	if f := b.Facts; f != nil {
		if f.Layout != "" {
			r.Layout = f.Layout
		}
		r.Version = f.Version
		for _, bf := range f.Files {
			fr := BundleFileReport{Name: bf.Name, Target: bf.Target, Error: bf.Err}
			if bf.Role != RoleLink && (bf.Err == "" || bf.Mode != 0) { // a link's own mode means nothing
				fr.Mode = fmt.Sprintf("%04o", bf.Mode.Perm())
			}
			r.Files = append(r.Files, fr)
		}
	}
	if l := b.Leaf(); l != nil {
		na := l.NotAfter.UTC()
		days := DaysLeft(l.NotAfter, now)
		r.Serial, r.NotAfter, r.DaysLeft, r.SHA256 = l.Serial, &na, &days, l.SHA256
	}
	if m, ok := b.KeyMatch(); ok {
		r.KeyMatch = &m
	}
	for _, d := range b.Drift {
		r.Drift = append(r.Drift, BundleDriftReport{Endpoint: d.Endpoint, State: d.State, ServedSerial: d.ServedSerial})
	}
	return r
}

// FleetWithBundlePaths adds ad-hoc bundles (`--bundle PATH`, repeatable)
// to f, each with layout auto, the fleet's thresholds and caFile (`--ca`)
// as extra trust roots. Names are the path's base name, made unique with
// a numeric suffix. f is modified and returned; nil f starts an empty fleet.
func FleetWithBundlePaths(f *Fleet, paths []string, caFile string) (*Fleet, error) {
	if f == nil {
		var err error
		if f, err = (&Config{}).Resolve(); err != nil {
			return nil, err
		}
	}
	taken := map[string]bool{}
	for _, e := range f.Endpoints {
		taken[e.Name] = true
	}
	for _, b := range f.Bundles {
		taken[b.Name] = true
	}
	for _, p := range paths {
		if p == "" {
			return nil, fmt.Errorf("--bundle: empty path")
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("--bundle %s: %w", p, err)
		}
		base := filepath.Base(abs)
		name := base
		for n := 2; taken[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		taken[name] = true
		f.Bundles = append(f.Bundles, Bundle{
			Name: name, Path: abs, Layout: "auto", CAFile: caFile, Thresholds: f.Thresholds,
		})
	}
	return f, nil
}
