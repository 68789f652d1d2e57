package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the schema (v1) of config.yaml, exactly as written by the user.
// Unknown keys are errors: a typo must not silently disable a check.
type Config struct {
	Version   int              `yaml:"version"` // 0 or 1
	Name      string           `yaml:"name"`    // fleet name shown in the header
	Theme     string           `yaml:"theme"`
	Defaults  DefaultsConfig   `yaml:"defaults"`
	Endpoints []EndpointConfig `yaml:"endpoints"`
	Bundles   []BundleConfig   `yaml:"bundles"`
}

// DefaultsConfig holds fleet-wide settings; each item may override warn/crit.
type DefaultsConfig struct {
	Interval    *Duration `yaml:"interval"`
	Timeout     *Duration `yaml:"timeout"`
	Concurrency int       `yaml:"concurrency"`
	Warn        *Duration `yaml:"warn"`
	Crit        *Duration `yaml:"crit"`
}

// EndpointConfig is one `endpoints:` entry.
type EndpointConfig struct {
	Name       string    `yaml:"name"`
	Address    string    `yaml:"address"`
	SNI        string    `yaml:"sni"`
	CA         string    `yaml:"ca"`
	ClientCert string    `yaml:"client_cert"`
	ClientKey  string    `yaml:"client_key"`
	Group      string    `yaml:"group"`
	Warn       *Duration `yaml:"warn"`
	Crit       *Duration `yaml:"crit"`
}

// BundleConfig is one `bundles:` entry: certificate files on local disk.
type BundleConfig struct {
	Name   string    `yaml:"name"`
	Path   string    `yaml:"path"`
	Layout string    `yaml:"layout"` // auto | certbot | store | pair | single-file
	Cert   string    `yaml:"cert"`
	Key    string    `yaml:"key"`
	CA     string    `yaml:"ca"`
	Serves []string  `yaml:"serves"`
	Source string    `yaml:"source"` // where `p` publishes from (store layout)
	Group  string    `yaml:"group"`
	Warn   *Duration `yaml:"warn"`
	Crit   *Duration `yaml:"crit"`
}

// Defaults applied when the config says nothing.
const (
	DefaultInterval    = 60 * time.Second
	DefaultTimeout     = 5 * time.Second
	DefaultConcurrency = 64
	DefaultWarn        = 30 * 24 * time.Hour
	DefaultCrit        = 7 * 24 * time.Hour
)

// Thresholds are the expiry limits for one item: less than Warn left is
// WARN, less than Crit left is CRIT.
type Thresholds struct {
	Warn, Crit time.Duration
}

// Fleet is the resolved definition: defaults applied, addresses parsed,
// names checked unique. It is what probes and the console work from.
type Fleet struct {
	Name        string
	Source      string // config path, or "" when built from arguments
	Theme       string
	Interval    time.Duration
	Timeout     time.Duration
	Concurrency int
	Thresholds  Thresholds
	Endpoints   []Endpoint
	Bundles     []Bundle
}

// Endpoint is one TLS service to probe.
type Endpoint struct {
	Name       string
	Address    string // as configured
	Target     Target
	SNI        string // server name sent; "" when the host is an IP and none is set
	CAFile     string // extra trust roots; system roots when empty
	ClientCert string
	ClientKey  string
	Group      string
	Thresholds Thresholds
}

// Bundle is one certificate bundle on local disk.
type Bundle struct {
	Name       string
	Path       string
	Layout     string
	CertFile   string
	KeyFile    string
	CAFile     string
	Serves     []string
	Source     string
	Group      string
	Thresholds Thresholds
}

// Bundle layouts: how a bundle's files are arranged on disk.
const (
	LayoutAuto       = "auto"        // detect from what is there
	LayoutCertbot    = "certbot"     // live/NAME: cert.pem chain.pem fullchain.pem privkey.pem -> ../../archive
	LayoutStore      = "store"       // certdeck's store: current -> vNNNN
	LayoutPair       = "pair"        // a certificate file and a key file
	LayoutSingleFile = "single-file" // key and chain in one PEM (HAProxy, Postfix)
)

var bundleLayouts = []string{LayoutAuto, LayoutCertbot, LayoutStore, LayoutPair, LayoutSingleFile}

// ConfigPath returns the config file to read: the flag, then
// $CERTDECK_CONFIG, then $XDG_CONFIG_HOME/certdeck/config.yaml (or
// ~/.config/certdeck/config.yaml). explicit reports whether the user named
// it, in which case a missing file is an error rather than "no config".
func ConfigPath(flag string) (path string, explicit bool) {
	if flag != "" {
		return flag, true
	}
	if env := os.Getenv("CERTDECK_CONFIG"); env != "" {
		return env, true
	}
	return filepath.Join(ConfigDir(), "config.yaml"), false
}

// ConfigDir is $XDG_CONFIG_HOME/certdeck, defaulting to ~/.config/certdeck.
func ConfigDir() string {
	base := os.Getenv("XDG_CONFIG_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "certdeck")
}

// StateDir is $XDG_STATE_HOME/certdeck, defaulting to ~/.local/state/certdeck.
func StateDir() string {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "certdeck")
}

// maxConfigSize bounds what LoadFleet reads: a config is a few KiB, and a
// wrong --config pointing at a huge file must not exhaust memory.
const maxConfigSize = 8 << 20

// LoadFleet reads and resolves a config file.
func LoadFleet(path string) (*Fleet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("config %s: larger than %d MiB", path, maxConfigSize>>20)
	}
	fleet, err := ParseFleet(data, path)
	if err != nil {
		return nil, err
	}
	// Relative file paths in the config are relative to the config file.
	fleet.resolvePaths(filepath.Dir(path))
	return fleet, nil
}

// ParseFleet decodes config bytes strictly and resolves them. source names
// the file in error messages.
func ParseFleet(data []byte, source string) (*Fleet, error) {
	if source == "" {
		source = "config"
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", source, explainYAMLError(err))
	}
	fleet, err := cfg.Resolve()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	fleet.Source = source
	return fleet, nil
}

var unknownFieldRE = regexp.MustCompile(`line (\d+): field (\S+) not found in type model\.(\w+)`)

// explainYAMLError rewrites yaml.v3's Go-flavoured messages into the
// config's own words: "line 7: unknown key "adress" in an endpoint".
func explainYAMLError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = unknownFieldRE.ReplaceAllStringFunc(msg, func(m string) string {
		sub := unknownFieldRE.FindStringSubmatch(m)
		where := map[string]string{
			"Config": "at the top level", "DefaultsConfig": "in defaults",
			"EndpointConfig": "in an endpoint", "BundleConfig": "in a bundle",
		}[sub[3]]
		if where == "" {
			where = "here"
		}
		return fmt.Sprintf("line %s: unknown key %q %s", sub[1], sub[2], where)
	})
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// Resolve applies defaults and validates the config.
func (c *Config) Resolve() (*Fleet, error) {
	if c.Version != 0 && c.Version != 1 {
		return nil, fmt.Errorf("version %d is not supported (this certdeck reads version 1)", c.Version)
	}
	f := &Fleet{
		Name:        c.Name,
		Theme:       c.Theme,
		Interval:    durOr(c.Defaults.Interval, DefaultInterval),
		Timeout:     durOr(c.Defaults.Timeout, DefaultTimeout),
		Concurrency: c.Defaults.Concurrency,
		Thresholds: Thresholds{
			Warn: durOr(c.Defaults.Warn, DefaultWarn),
			Crit: durOr(c.Defaults.Crit, DefaultCrit),
		},
	}
	if f.Concurrency == 0 {
		f.Concurrency = DefaultConcurrency
	}
	if f.Concurrency < 1 || f.Concurrency > 4096 {
		return nil, fmt.Errorf("defaults.concurrency %d: must be 1-4096", f.Concurrency)
	}
	if f.Interval < time.Second {
		return nil, fmt.Errorf("defaults.interval %s: must be at least 1s", f.Interval)
	}
	if f.Timeout <= 0 {
		return nil, fmt.Errorf("defaults.timeout must be positive")
	}
	if err := checkThresholds("defaults", f.Thresholds); err != nil {
		return nil, err
	}
	seen := map[string]string{}
	for i, ec := range c.Endpoints {
		ep, err := ec.resolve(f.Thresholds)
		if err != nil {
			return nil, fmt.Errorf("endpoint %d (%s): %w", i+1, orIndex(ec.Name, i), err)
		}
		if prev, dup := seen[ep.Name]; dup {
			return nil, fmt.Errorf("endpoint name %q is used twice (also by %s)", ep.Name, prev)
		}
		seen[ep.Name] = "an endpoint"
		f.Endpoints = append(f.Endpoints, ep)
	}
	for i, bc := range c.Bundles {
		b, err := bc.resolve(f.Thresholds)
		if err != nil {
			return nil, fmt.Errorf("bundle %d (%s): %w", i+1, orIndex(bc.Name, i), err)
		}
		if prev, dup := seen[b.Name]; dup {
			return nil, fmt.Errorf("bundle name %q is used twice (also by %s)", b.Name, prev)
		}
		seen[b.Name] = "a bundle"
		for _, s := range b.Serves {
			if seen[s] != "an endpoint" {
				return nil, fmt.Errorf("bundle %q serves %q, which is not a configured endpoint", b.Name, s)
			}
		}
		f.Bundles = append(f.Bundles, b)
	}
	return f, nil
}

func (ec EndpointConfig) resolve(def Thresholds) (Endpoint, error) {
	if ec.Address == "" {
		return Endpoint{}, fmt.Errorf("address is required")
	}
	t, err := ParseTarget(ec.Address)
	if err != nil {
		return Endpoint{}, err
	}
	ep := Endpoint{
		Name: ec.Name, Address: ec.Address, Target: t, SNI: ec.SNI,
		CAFile: ec.CA, ClientCert: ec.ClientCert, ClientKey: ec.ClientKey,
		Group:      ec.Group,
		Thresholds: Thresholds{Warn: durOr(ec.Warn, def.Warn), Crit: durOr(ec.Crit, def.Crit)},
	}
	if ep.Name == "" {
		ep.Name = t.String()
	}
	if ep.SNI == "" && !t.IsIP() {
		ep.SNI = t.Host
	}
	if (ep.ClientCert == "") != (ep.ClientKey == "") {
		return Endpoint{}, fmt.Errorf("client_cert and client_key go together")
	}
	return ep, checkThresholds("warn/crit", ep.Thresholds)
}

func (bc BundleConfig) resolve(def Thresholds) (Bundle, error) {
	if bc.Path == "" {
		return Bundle{}, fmt.Errorf("path is required")
	}
	b := Bundle{
		Name: bc.Name, Path: bc.Path, Layout: bc.Layout, CertFile: bc.Cert, KeyFile: bc.Key,
		CAFile: bc.CA, Serves: bc.Serves, Source: bc.Source, Group: bc.Group,
		Thresholds: Thresholds{Warn: durOr(bc.Warn, def.Warn), Crit: durOr(bc.Crit, def.Crit)},
	}
	if b.Name == "" {
		b.Name = filepath.Base(filepath.Clean(b.Path))
	}
	if b.Layout == "" {
		b.Layout = "auto"
	}
	known := false
	for _, l := range bundleLayouts {
		known = known || l == b.Layout
	}
	if !known {
		return Bundle{}, fmt.Errorf("layout %q: want one of %s", b.Layout, strings.Join(bundleLayouts, ", "))
	}
	if b.Layout == "pair" && (b.CertFile == "" || b.KeyFile == "") {
		return Bundle{}, fmt.Errorf("layout pair needs cert and key")
	}
	return b, checkThresholds("warn/crit", b.Thresholds)
}

// resolvePaths makes relative file paths relative to the config's directory.
func (f *Fleet) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	for i := range f.Endpoints {
		e := &f.Endpoints[i]
		abs(&e.CAFile)
		abs(&e.ClientCert)
		abs(&e.ClientKey)
	}
	for i := range f.Bundles {
		b := &f.Bundles[i]
		abs(&b.Path)
		abs(&b.CAFile)
		abs(&b.Source)
	}
}

// FleetFromTargets builds a fleet from command-line addresses, for
// `certdeck check host:443 …` with no config file.
func FleetFromTargets(addrs []string, base *Fleet) (*Fleet, error) {
	f := base
	if f == nil {
		var err error
		if f, err = (&Config{}).Resolve(); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, e := range f.Endpoints {
		seen[e.Name] = true
	}
	for _, a := range addrs {
		ep, err := EndpointConfig{Address: a}.resolve(f.Thresholds)
		if err != nil {
			return nil, err
		}
		if seen[ep.Name] {
			continue // the same address twice is one endpoint
		}
		seen[ep.Name] = true
		f.Endpoints = append(f.Endpoints, ep)
	}
	return f, nil
}

// EndpointByName finds a configured endpoint.
func (f *Fleet) EndpointByName(name string) (Endpoint, bool) {
	for _, e := range f.Endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return Endpoint{}, false
}

func checkThresholds(where string, t Thresholds) error {
	if t.Crit > t.Warn {
		return fmt.Errorf("%s: crit (%s) must not exceed warn (%s)", where, FormatDays(t.Crit), FormatDays(t.Warn))
	}
	return nil
}

func durOr(d *Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d)
}

func orIndex(name string, i int) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("#%d", i+1)
}
