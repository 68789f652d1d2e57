// Package demo builds the embedded demo fleet that `certdeck demo` opens:
// a private CA minted at start and in-process TLS servers on 127.0.0.1
// covering every state the console can show (healthy, expiring, expired,
// untrusted, wrong host, stalled, refused, STARTTLS, a ticket-key pool
// with one member out of step, certificates renewed while you watch) and
// bundles on disk in each layout: a certbot lineage one server never
// reloaded (drift), a certdeck store served hot through rotate.Reloader
// with a staged certificate for the console's p, and a single-file PEM.
//
// Each scenario lives in its own scenario_*.go file and registers
// endpoints through a Builder, so later features (bundle dirs, rotation,
// reload) add scenarios without touching the others.
package demo
