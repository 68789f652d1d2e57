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
	Mode   string `json:"mode,omitempty"`   // "0600"; empty for a link or a file that could not be found
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
			fr := BundleFileReport{Name: bf.Name, Target: bf.Target, Error: bf.Err, Mode: bf.ModeText()}
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
// to f, each with the given layout ("" is auto; pair reads cert.pem and
// privkey.pem in the directory), the fleet's thresholds and caFile
// (`--ca`) as extra trust roots. Names are the path's base name, made
// unique among bundles with a numeric suffix (endpoints are another kind:
// a bundle may share an endpoint's name). f is modified and returned; nil
// f starts an empty fleet.
func FleetWithBundlePaths(f *Fleet, paths []string, layout, caFile string) (*Fleet, error) {
	if f == nil {
		var err error
		if f, err = (&Config{}).Resolve(); err != nil {
			return nil, err
		}
	}
	if layout == "" {
		layout = LayoutAuto
	}
	if err := ValidateLayout(layout); err != nil {
		return nil, fmt.Errorf("--layout: %w", err)
	}
	taken := map[string]bool{}
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
		b := Bundle{Name: name, Path: abs, Layout: layout, CAFile: caFile, Thresholds: f.Thresholds}
		if layout == LayoutPair {
			b.CertFile, b.KeyFile = PairCertFile, PairKeyFile
		}
		f.Bundles = append(f.Bundles, b)
	}
	return f, nil
}

// The files a pair directory holds when nothing else is said (`--layout
// pair`, or a directory auto-detected as a pair): the names certbot and
// most guides use.
const (
	PairCertFile = "cert.pem"
	PairKeyFile  = "privkey.pem"
)
