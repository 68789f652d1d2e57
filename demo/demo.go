package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

// Options shape the demo fleet.
type Options struct {
	// Extra adds that many healthy endpoints (sharing one listener), to
	// see the console with a large fleet.
	Extra int
	// RenewEvery is how often short-lived certificates are replaced
	// (default 45s).
	RenewEvery time.Duration
	// Interval is the probe interval written into the fleet (default 15s,
	// so renewals show up quickly).
	Interval time.Duration
}

// Builder collects endpoints from scenarios. Scenarios call Serve to get
// a listening server and Endpoint to add a row.
type Builder struct {
	ctx    context.Context
	CA     *pki.CA // root: the demo trusts it
	Issuer *pki.CA // intermediate that signs healthy leaves
	CAFile string  // the root written to disk for endpoints' ca:
	Dir    string  // the demo's temp dir
	opts   Options

	cfg       model.Config
	closers   []func()
	wg        sync.WaitGroup
	reloadHub *reloadHub // the reload endpoint, once a scenario needs it
}

// scenario adds endpoints to the fleet.
type scenario func(b *Builder) error

// scenarios in the order their rows are added to the config.
var scenarios = []scenario{
	healthy, expiring, untrusted, faults, smtpStartTLS, ticketPool, renewing, bundles, extra,
}

// Start mints the CA, starts every scenario's servers and returns the
// fleet and a cleanup that stops the servers and removes the temp dir.
func Start(ctx context.Context, opts Options) (*model.Fleet, func(), error) {
	if opts.RenewEvery <= 0 {
		opts.RenewEvery = 45 * time.Second
	}
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Second
	}
	dir, err := os.MkdirTemp("", "certdeck-demo-")
	if err != nil {
		return nil, nil, fmt.Errorf("demo temp dir: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	b := &Builder{ctx: ctx, Dir: dir, opts: opts}
	cleanup := func() {
		cancel()
		for i := len(b.closers) - 1; i >= 0; i-- {
			b.closers[i]()
		}
		b.wg.Wait()
		os.RemoveAll(dir)
	}
	fail := func(err error) (*model.Fleet, func(), error) {
		cleanup()
		return nil, nil, err
	}
	if b.CA, err = pki.NewCA("certdeck demo root"); err != nil {
		return fail(err)
	}
	if b.Issuer, err = b.CA.Intermediate("certdeck demo issuing CA"); err != nil {
		return fail(err)
	}
	b.CAFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(b.CAFile, b.CA.RootPEM(), 0o644); err != nil {
		return fail(fmt.Errorf("write demo CA: %w", err))
	}
	interval := model.Duration(opts.Interval)
	timeout := model.Duration(3 * time.Second)
	b.cfg = model.Config{Name: "demo fleet", Defaults: model.DefaultsConfig{Interval: &interval, Timeout: &timeout}}
	for _, s := range scenarios {
		if err := s(b); err != nil {
			return fail(err)
		}
	}
	fleet, err := b.cfg.Resolve()
	if err != nil {
		return fail(fmt.Errorf("demo fleet: %w", err))
	}
	fleet.Source = "demo"
	return fleet, cleanup, nil
}

// Endpoint adds a row. The demo's CA is trusted for every endpoint.
func (b *Builder) Endpoint(ec model.EndpointConfig) {
	if ec.CA == "" {
		ec.CA = b.CAFile
	}
	b.cfg.Endpoints = append(b.cfg.Endpoints, ec)
}

// onClose registers a cleanup step (run in reverse order).
func (b *Builder) onClose(f func()) { b.closers = append(b.closers, f) }

// leaf issues a certificate from the demo's issuing CA.
func (b *Builder) leaf(name string, notBefore, notAfter time.Time) (*pki.Leaf, error) {
	return b.Issuer.Issue(pki.Options{DNSNames: []string{name}, NotBefore: notBefore, NotAfter: notAfter})
}
