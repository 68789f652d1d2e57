// Package demo builds the embedded demo fleet that `certdeck demo` opens:
// a private CA minted at start and in-process TLS servers on 127.0.0.1
// covering every state the console can show (healthy, expiring, expired,
// untrusted, wrong host, stalled, refused, STARTTLS, a ticket-key pool
// with one member out of step, certificates renewed while you watch) and
// bundles on disk in each layout: a certbot lineage one server never
// reloaded (drift, fixed by its reload), a certdeck store served hot
// through rotate.Reloader with a staged certificate for the console's p,
// a single-file PEM, and a store whose server's reload has no effect
// (on_verify_fail: rollback undoes a publish). The reloads are real
// `http` reloads against the demo's own reload endpoint on 127.0.0.1,
// with a bearer token the demo puts in its own environment.
//
// Each scenario lives in its own scenario_*.go file and registers
// endpoints through a Builder, so later features (bundle dirs, rotation,
// reload) add scenarios without touching the others.
package demo
