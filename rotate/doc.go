// Package rotate owns everything in certdeck that changes certificates on
// disk, and the readers that make those changes safe to observe.
//
// The atomic bundle store keeps each bundle as complete, immutable version
// directories under <store>/<name>/ (v0001, v0002, ...) and a relative
// symlink `current` that is only ever replaced by rename(2):
//
//	<store>/<name>/
//	  current -> v0007   relative symlink, replaced only by rename(2)
//	  v0006/ v0007/      cert.pem chain.pem fullchain.pem privkey.pem bundle.pem meta.json
//	  .lock              flock: one writer at a time
//
// Publish validates the inputs, stages and fsyncs a new version, renames it
// into place and swaps `current`; Rollback swaps `current` back to an older
// version. Open is the consistent reader: it resolves `current` once and
// reads every file relative to that version directory (os.OpenRoot), so a
// reader never mixes files from two versions, which is exactly what goes
// wrong with certbot-style per-file replacement. Reloader serves the current
// version to Go TLS servers and swaps it without restarting the listener.
//
// TicketDir keeps session-ticket key dirs (nginx, HAProxy, Apache layouts):
// init, rotation next → current → previous with every file replaced by
// rename in a crash-safe order, conversion between layouts, and HAProxy's
// runtime `set ssl tls-key`; TicketKeys serves the same files to Go TLS
// servers as key-named tickets (tickets*.go, ticketkeys.go).
//
// rotate imports only model: probe and ui build on it, never the reverse.
package rotate
