// Package model owns what certdeck knows, independent of how it learns it or
// shows it: the fleet definition read from the config file, the certificate
// summaries and observations that probes produce, the status rules shared by
// `certdeck check` and the console, drift between disk and what endpoints
// serve, and pure parsing and validation of PEM bundles.
//
// It does no I/O beyond reading the config file, starts no goroutines and
// imports no other certdeck package, so every rule here is testable with
// values alone and a fixed clock.
package model
