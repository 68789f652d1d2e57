// Package report renders the fleet state for scripts and terminals without
// the console: the `certdeck check` table and JSON, and the exit code rule
// (0 all OK, 1 worst is WARN or UNKNOWN, 2 any CRIT or ERROR). It reads
// model.State and writes to an io.Writer; it never probes.
package report
