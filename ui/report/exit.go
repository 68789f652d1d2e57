package report

import "certdeck/model"

// Exit codes of `certdeck check`. ExitUsage (bad flags or config) is
// decided by the CLI before any state exists.
const (
	ExitOK       = 0
	ExitWarn     = 1
	ExitCritical = 2
	ExitUsage    = 3
)

// ExitCode maps the worst status to the check exit code: scripts and
// monitoring (Nagios-style) treat 1 as warning and 2 as critical. An
// endpoint that could not be checked (ERROR) is as bad as CRIT, because
// nothing is known about it; UNKNOWN (never probed) only warns.
func ExitCode(worst model.Status) int {
	switch worst {
	case model.OK:
		return ExitOK
	case model.Warn, model.Unknown:
		return ExitWarn
	default:
		return ExitCritical
	}
}
