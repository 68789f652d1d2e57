package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
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
	Reloads   []ReloadConfig   `yaml:"reloads"`
	// TicketKeys: session-ticket key dirs (config_tickets.go).
	TicketKeys []TicketKeysConfig `yaml:"ticket_keys"`

	// src is the source document (ParseFleet sets it): lines() locates
	// each item in it, so errors about an item point at its line. It is
	// read only when there is an error to place: the second pass over a
	// 100,000-endpoint document would double what loading it takes.
	src     []byte
	located *configLines
	// ticketLocated is the ticket_keys items' lines (config_tickets.go).
	ticketLocated *itemsLines
}

// DefaultsConfig holds fleet-wide settings; each item may override warn/crit.
type DefaultsConfig struct {
	Interval    *Duration `yaml:"interval"`
	Timeout     *Duration `yaml:"timeout"`
	Concurrency int       `yaml:"concurrency"`
	// RateLimit caps probes started per second across the fleet (0: none).
	RateLimit float64 `yaml:"rate_limit"`
	// PerIPConcurrency caps probes in flight to one IP address (0: none):
	// many virtual hosts behind one address.
	PerIPConcurrency int        `yaml:"per_ip_concurrency"`
	AllIPs           bool       `yaml:"all_ips"`
	Warn             *Threshold `yaml:"warn"`
	Crit             *Threshold `yaml:"crit"`
	// VerifyTimeout bounds the verification after an action, for every
	// bundle that sets none (default DefaultVerifyTimeout).
	VerifyTimeout *Duration `yaml:"verify_timeout"`
}

// EndpointConfig is one `endpoints:` entry.
type EndpointConfig struct {
	Name       string `yaml:"name"`
	Address    string `yaml:"address"`
	SNI        string `yaml:"sni"`
	CA         string `yaml:"ca"`
	ClientCert string `yaml:"client_cert"`
	ClientKey  string `yaml:"client_key"`
	Group      string `yaml:"group"`
	// AllIPs probes every address the name resolves to, each on its own.
	AllIPs bool       `yaml:"all_ips"`
	Warn   *Threshold `yaml:"warn"`
	Crit   *Threshold `yaml:"crit"`
	// Reload names the `reloads:` entry that makes this endpoint pick up
	// a new certificate; it overrides the reload of its bundle.
	Reload string `yaml:"reload"`
}

// BundleConfig is one `bundles:` entry: certificate files on local disk.
type BundleConfig struct {
	Name   string     `yaml:"name"`
	Path   string     `yaml:"path"`
	Layout string     `yaml:"layout"` // auto | certbot | store | pair | single-file
	Cert   string     `yaml:"cert"`
	Key    string     `yaml:"key"`
	CA     string     `yaml:"ca"`
	Serves []string   `yaml:"serves"`
	Source string     `yaml:"source"` // where `p` publishes from (store layout)
	Group  string     `yaml:"group"`
	Warn   *Threshold `yaml:"warn"`
	Crit   *Threshold `yaml:"crit"`
	// Reload names the `reloads:` entry run for the endpoints it serves
	// (an endpoint's own reload: wins).
	Reload string `yaml:"reload"`
	// OnVerifyFail is what happens when verification after a publish or
	// reload fails: "" reports it, "rollback" rolls the store back.
	OnVerifyFail  string    `yaml:"on_verify_fail"`
	VerifyTimeout *Duration `yaml:"verify_timeout"`
}

// Defaults applied when the config says nothing.
const (
	DefaultInterval    = 60 * time.Second
	DefaultTimeout     = 5 * time.Second
	DefaultConcurrency = 64
	MaxConcurrency     = 4096
)

// Thresholds are the expiry limits for one item: less than Warn left is
// WARN, less than Crit left is CRIT (see Threshold; DefaultWarn and
// DefaultCrit apply when the config says nothing).
type Thresholds struct {
	Warn, Crit Threshold
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
	// RateLimit is probes started per second, fleet-wide (0: no limit).
	RateLimit float64
	// PerIPConcurrency is probes in flight to one IP address (0: no limit).
	PerIPConcurrency int
	Thresholds       Thresholds
	Endpoints        []Endpoint
	Bundles          []Bundle
	// Reloads are the configured `reloads:`, in config order.
	Reloads []Reload
	// VerifyTimeout is defaults.verify_timeout (DefaultVerifyTimeout when
	// unset); every bundle carries its own resolved value.
	VerifyTimeout time.Duration
	TicketKeys    []TicketKeys
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
	// AllIPs: probe every address the name resolves to, each on its own
	// (one observation per address, the status its worst).
	AllIPs     bool
	Thresholds Thresholds
	Reload     string // a Fleet.Reloads name; "" uses the bundle's
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
	// Reload is the Fleet.Reloads name run for the endpoints it serves
	// that name none of their own ("": none).
	Reload string
	// OnVerifyFail is OnVerifyFailNothing or OnVerifyFailRollback (which
	// needs layout store: certdeck rolls back only its own store).
	OnVerifyFail string
	// VerifyTimeout bounds verification after an action on this bundle.
	VerifyTimeout time.Duration
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

// maxConfigSize bounds what LoadFleet reads: a config is a few KiB, and a
// wrong --config pointing at a huge file must not exhaust memory.
const maxConfigSize = 8 << 20

// LoadFleet reads and resolves a config file, and checks that the files it
// names for endpoints and bundles (ca:, client_cert:, client_key:) exist
// and are regular files: a typo there is a config error with its line, not
// an ERROR row on every probe. Bundle paths are not checked: a bundle may
// appear later, and the watcher picks it up.
func LoadFleet(path string) (*Fleet, error) {
	data, err := ReadRegularFile(path, "config", maxConfigSize)
	if err != nil {
		return nil, err
	}
	cfg, err := decodeConfig(data, path)
	if err != nil {
		return nil, err
	}
	fleet, err := cfg.resolveFrom(path)
	if err != nil {
		return nil, err
	}
	// Relative file paths in the config are relative to the config file.
	fleet.resolvePaths(filepath.Dir(path))
	fleet.resolveTicketPaths(filepath.Dir(path))
	if err := cfg.checkFiles(fleet, path); err != nil {
		return nil, err
	}
	return fleet, nil
}

// ParseFleet decodes config bytes strictly and resolves them. source names
// the file in error messages. It touches no file (see LoadFleet).
func ParseFleet(data []byte, source string) (*Fleet, error) {
	if source == "" {
		source = "config"
	}
	cfg, err := decodeConfig(data, source)
	if err != nil {
		return nil, err
	}
	return cfg.resolveFrom(source)
}

// decodeConfig decodes strictly (unknown keys are errors) and records
// where each item sits in the document.
func decodeConfig(data []byte, source string) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", source, explainYAMLError(err))
	}
	cfg.src = data
	return &cfg, nil
}

func (c *Config) resolveFrom(source string) (*Fleet, error) {
	fleet, err := c.Resolve()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	fleet.Source = source
	return fleet, nil
}

var (
	unknownFieldRE  = regexp.MustCompile(`line (\d+): field (\S+) not found in type model\.(\w+)`)
	stringForListRE = regexp.MustCompile("line (\\d+): cannot unmarshal !!str `[^`]*` into \\[\\]string")
)

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
			"ReloadConfig": "in a reload", "SSHConfig": "in ssh", "HTTPConfig": "in http",
			"HAProxyConfig":    "in haproxy",
			"TicketKeysConfig": "in a ticket_keys entry",
		}[sub[3]]
		if where == "" {
			where = "here"
		}
		return fmt.Sprintf("line %s: unknown key %q %s", sub[1], sub[2], where)
	})
	// exec: "systemctl reload nginx" is the likely one: say why a list.
	msg = stringForListRE.ReplaceAllString(msg, `line $1: want a list, not a string (exec and command take an argv list such as ["systemctl", "reload", "nginx"]: certdeck runs no shell)`)
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// Resolve applies defaults and validates the config. Names are unique per
// kind: a bundle "web" may serve the endpoint "web".
func (c *Config) Resolve() (*Fleet, error) {
	if c.Version != 0 && c.Version != 1 {
		return nil, c.lines().top.at("version", fmt.Errorf("version %d is not supported (this certdeck reads version 1)", c.Version))
	}
	f := &Fleet{
		Name:        c.Name,
		Theme:       c.Theme,
		Interval:    durOr(c.Defaults.Interval, DefaultInterval),
		Timeout:     durOr(c.Defaults.Timeout, DefaultTimeout),
		Concurrency: c.Defaults.Concurrency,
		RateLimit:   c.Defaults.RateLimit,
		// PerIPConcurrency is checked below.
		PerIPConcurrency: c.Defaults.PerIPConcurrency,
		Thresholds: Thresholds{
			Warn: thresholdOr(c.Defaults.Warn, DefaultWarn),
			Crit: thresholdOr(c.Defaults.Crit, DefaultCrit),
		},
	}
	if f.Concurrency == 0 {
		f.Concurrency = DefaultConcurrency
	}
	if err := ValidateConcurrency(f.Concurrency); err != nil {
		return nil, c.lines().defaults.at("concurrency", fmt.Errorf("defaults.%w", err))
	}
	if err := ValidateRateLimit(f.RateLimit); err != nil {
		return nil, c.lines().defaults.at("rate_limit", fmt.Errorf("defaults.%w", err))
	}
	if err := ValidatePerIP(f.PerIPConcurrency); err != nil {
		return nil, c.lines().defaults.at("per_ip_concurrency", fmt.Errorf("defaults.%w", err))
	}
	if err := ValidateInterval(f.Interval); err != nil {
		return nil, c.lines().defaults.at("interval", fmt.Errorf("defaults.%w", err))
	}
	if err := ValidateTimeout(f.Timeout); err != nil {
		return nil, c.lines().defaults.at("timeout", fmt.Errorf("defaults.%w", err))
	}
	if err := f.Thresholds.Validate(); err != nil {
		return nil, c.lines().defaults.at("crit", fmt.Errorf("defaults: %w", err))
	}
	f.VerifyTimeout = durOr(c.Defaults.VerifyTimeout, DefaultVerifyTimeout)
	if err := ValidateVerifyTimeout(f.VerifyTimeout); err != nil {
		return nil, c.lines().defaults.at("verify_timeout", fmt.Errorf("defaults.%w", err))
	}
	// Reloads first: endpoints and bundles refer to them by name.
	reloads, err := c.resolveReloads()
	if err != nil {
		return nil, err
	}
	f.Reloads = reloads
	seen := map[string]int{} // endpoint name → its 1-based item number
	for i, ec := range c.Endpoints {
		ep, err := ec.resolve(f.Thresholds)
		ep.AllIPs = ep.AllIPs || c.Defaults.AllIPs
		if err == nil {
			err = f.checkReloadRef(ep.Reload)
		}
		if err != nil {
			return nil, c.lines().endpoint(i).wrap(fmt.Sprintf("endpoint %d (%s)", i+1, orIndex(ec.Name, i)), err)
		}
		if prev, dup := seen[ep.Name]; dup {
			return nil, c.lines().endpoint(i).at("name", fmt.Errorf("endpoint name %q is used twice (also by endpoint %d%s)",
				ep.Name, prev, c.lines().endpoint(prev-1).onLine()))
		}
		seen[ep.Name] = i + 1
		f.Endpoints = append(f.Endpoints, ep)
	}
	bundleSeen := map[string]int{}
	for i, bc := range c.Bundles {
		b, err := bc.resolve(f.Thresholds, f.VerifyTimeout)
		if err == nil {
			err = f.checkReloadRef(b.Reload)
		}
		if err != nil {
			return nil, c.lines().bundle(i).wrap(fmt.Sprintf("bundle %d (%s)", i+1, orIndex(bc.Name, i)), err)
		}
		if prev, dup := bundleSeen[b.Name]; dup {
			return nil, c.lines().bundle(i).at("name", fmt.Errorf("bundle name %q is used twice (also by bundle %d%s)",
				b.Name, prev, c.lines().bundle(prev-1).onLine()))
		}
		bundleSeen[b.Name] = i + 1
		for _, s := range b.Serves {
			if _, ok := seen[s]; !ok {
				return nil, c.lines().bundle(i).at("serves", fmt.Errorf("bundle %q serves %q, which is not a configured endpoint", b.Name, s))
			}
		}
		f.Bundles = append(f.Bundles, b)
	}
	if err := c.resolveTicketKeys(f, seen); err != nil {
		return nil, err
	}
	return f, nil
}

// ValidateConcurrency is the one rule for probes in flight (config and
// --concurrency).
func ValidateConcurrency(n int) error {
	if n < 1 || n > MaxConcurrency {
		return fmt.Errorf("concurrency %d: must be 1-%d", n, MaxConcurrency)
	}
	return nil
}

// ValidateRateLimit is the one rule for the probes-per-second limit
// (config and --rate-limit): zero means none.
func ValidateRateLimit(perSecond float64) error {
	if perSecond < 0 || perSecond > 1e6 || perSecond != perSecond {
		return fmt.Errorf("rate_limit %v: must be 0 (none) or a number of probes per second up to 1000000", perSecond)
	}
	return nil
}

// ValidatePerIP is the one rule for probes in flight per IP address
// (config and --per-ip-concurrency): zero means none.
func ValidatePerIP(n int) error {
	if n < 0 || n > MaxConcurrency {
		return fmt.Errorf("per_ip_concurrency %d: must be 0 (none) or 1-%d", n, MaxConcurrency)
	}
	return nil
}

// ValidateInterval is the one rule for the probe interval.
func ValidateInterval(d time.Duration) error {
	if d < time.Second {
		return fmt.Errorf("interval %s: must be at least 1s", d)
	}
	return nil
}

// ValidateTimeout is the one rule for the per-probe deadline (config and
// --timeout).
func ValidateTimeout(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("timeout must be positive")
	}
	return nil
}

// Overrides are settings given on the command line for the whole fleet
// (`check --timeout --concurrency --warn --crit`). Zero values keep the
// config's.
type Overrides struct {
	Timeout     time.Duration
	Concurrency int
	Warn, Crit  *Threshold
	// RateLimit and PerIPConcurrency replace the config's when positive;
	// AllIPs probes every address of every endpoint.
	RateLimit        float64
	PerIPConcurrency int
	AllIPs           bool
}

// ApplyOverrides puts o on every endpoint and bundle of f, checked by the
// same rules as the config.
func (f *Fleet) ApplyOverrides(o Overrides) error {
	if o.Timeout != 0 {
		if err := ValidateTimeout(o.Timeout); err != nil {
			return fmt.Errorf("--%w", err)
		}
		f.Timeout = o.Timeout
	}
	if o.Concurrency != 0 {
		if err := ValidateConcurrency(o.Concurrency); err != nil {
			return fmt.Errorf("--%w", err)
		}
		f.Concurrency = o.Concurrency
	}
	if o.RateLimit > 0 {
		if err := ValidateRateLimit(o.RateLimit); err != nil {
			return fmt.Errorf("--rate-limit: %w", err)
		}
		f.RateLimit = o.RateLimit
	}
	if o.PerIPConcurrency > 0 {
		if err := ValidatePerIP(o.PerIPConcurrency); err != nil {
			return fmt.Errorf("--per-ip-concurrency: %w", err)
		}
		f.PerIPConcurrency = o.PerIPConcurrency
	}
	if o.AllIPs {
		for i := range f.Endpoints {
			f.Endpoints[i].AllIPs = true
		}
	}
	set := func(t *Thresholds) {
		if o.Warn != nil {
			t.Warn = *o.Warn
		}
		if o.Crit != nil {
			t.Crit = *o.Crit
		}
	}
	set(&f.Thresholds)
	if err := f.Thresholds.Validate(); err != nil {
		return fmt.Errorf("--warn/--crit: %w", err)
	}
	for i := range f.Endpoints {
		ep := &f.Endpoints[i]
		set(&ep.Thresholds)
		if err := ep.Thresholds.Validate(); err != nil {
			return fmt.Errorf("--warn/--crit: endpoint %s: %w", ep.Name, err)
		}
	}
	for i := range f.Bundles {
		b := &f.Bundles[i]
		set(&b.Thresholds)
		if err := b.Thresholds.Validate(); err != nil {
			return fmt.Errorf("--warn/--crit: bundle %s: %w", b.Name, err)
		}
	}
	return nil
}

func (ec EndpointConfig) resolve(def Thresholds) (Endpoint, error) {
	if ec.Address == "" {
		return Endpoint{}, keyErr("address", fmt.Errorf("address is required"))
	}
	t, err := ParseTarget(ec.Address)
	if err != nil {
		return Endpoint{}, keyErr("address", err)
	}
	ep := Endpoint{
		Name: ec.Name, Address: ec.Address, Target: t, SNI: ec.SNI,
		CAFile: ec.CA, ClientCert: ec.ClientCert, ClientKey: ec.ClientKey,
		Group: ec.Group, AllIPs: ec.AllIPs,
		Thresholds: Thresholds{Warn: thresholdOr(ec.Warn, def.Warn), Crit: thresholdOr(ec.Crit, def.Crit)},
		Reload:     ec.Reload,
	}
	if ep.Name == "" {
		ep.Name = t.String()
	}
	if ep.SNI == "" && !t.IsIP() {
		ep.SNI = t.Host
	}
	if (ep.ClientCert == "") != (ep.ClientKey == "") {
		return Endpoint{}, keyErr("client_cert", fmt.Errorf("client_cert and client_key go together"))
	}
	if err := ep.Thresholds.Validate(); err != nil {
		return Endpoint{}, keyErr("crit", fmt.Errorf("warn/crit: %w", err))
	}
	return ep, nil
}

func (bc BundleConfig) resolve(def Thresholds, verifyTimeout time.Duration) (Bundle, error) {
	if bc.Path == "" {
		return Bundle{}, keyErr("path", fmt.Errorf("path is required"))
	}
	b := Bundle{
		Name: bc.Name, Path: bc.Path, Layout: bc.Layout, CertFile: bc.Cert, KeyFile: bc.Key,
		CAFile: bc.CA, Serves: bc.Serves, Source: bc.Source, Group: bc.Group,
		Thresholds:    Thresholds{Warn: thresholdOr(bc.Warn, def.Warn), Crit: thresholdOr(bc.Crit, def.Crit)},
		Reload:        bc.Reload,
		OnVerifyFail:  bc.OnVerifyFail,
		VerifyTimeout: durOr(bc.VerifyTimeout, verifyTimeout),
	}
	if b.Name == "" {
		b.Name = filepath.Base(filepath.Clean(b.Path))
	}
	if b.Layout == "" {
		b.Layout = LayoutAuto
	}
	if err := ValidateLayout(b.Layout); err != nil {
		return Bundle{}, keyErr("layout", err)
	}
	// layout: pair without cert:/key: reads what --layout pair reads
	// (fullchain.pem or cert.pem, and privkey.pem), as README says.
	if err := b.Thresholds.Validate(); err != nil {
		return Bundle{}, keyErr("crit", fmt.Errorf("warn/crit: %w", err))
	}
	if err := ValidateVerifyTimeout(b.VerifyTimeout); err != nil {
		return Bundle{}, keyErr("verify_timeout", err)
	}
	switch b.OnVerifyFail {
	case OnVerifyFailNothing:
	case OnVerifyFailRollback:
		// Only certdeck's own store keeps the previous version to go back
		// to; a certbot lineage or a single file has none it can restore.
		if b.Layout != LayoutStore {
			return Bundle{}, keyErr("on_verify_fail", fmt.Errorf("on_verify_fail: rollback needs layout: store (certdeck rolls back only its own store; this bundle has layout %s)", b.Layout))
		}
	default:
		return Bundle{}, keyErr("on_verify_fail", fmt.Errorf("on_verify_fail %q: want rollback (or leave it out to report a failed verification and change nothing more)", b.OnVerifyFail))
	}
	return b, nil
}

// ValidateLayout is the one check of a layout name (config and --layout).
func ValidateLayout(layout string) error {
	if slices.Contains(bundleLayouts, layout) {
		return nil
	}
	return fmt.Errorf("layout %q: want one of %s", layout, strings.Join(bundleLayouts, ", "))
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
	for i := range f.Reloads {
		r := &f.Reloads[i]
		abs(&r.Dir)
		abs(&r.PIDFile)
		abs(&r.SSH.Identity)
		abs(&r.SSH.KnownHosts)
		abs(&r.HTTP.CA)
		if !r.HAProxy.IsTCPSocket() {
			abs(&r.HAProxy.Socket)
		}
		// HAProxy.Crt stays exactly as written: it must match haproxy.cfg.
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

func durOr(d *Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d)
}

func thresholdOr(t *Threshold, def Threshold) Threshold {
	if t == nil {
		return def
	}
	return *t
}

func orIndex(name string, i int) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("#%d", i+1)
}
