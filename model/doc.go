// Package model owns what certdeck knows, independent of how it learns it or
// shows it: the fleet definition read from the config file, the certificate
// summaries and observations that probes produce, the status rules shared by
// `certdeck check` and the console, drift between disk and what endpoints
// serve, and pure parsing and validation of PEM bundles and of session-ticket
// keys (ticketkey*.go: formats, roles, the status of a key dir and of a
// pool of servers sharing it).
//
// Its only I/O is reading a file it is pointed at (the config), through
// ReadRegularFile, the one hardened way every certdeck package reads a
// file; Sanitize is the one way every package makes a string safe for a
// terminal. It starts no goroutines and imports no other certdeck package,
// so every rule here is testable with values alone and a fixed clock.
package model
