package rotate

import "fmt"

// ReasonReloadCannotRun: an action that runs a reload was refused before
// it changed anything, because the reload would refuse to run (a
// runtime-API socket in a directory another user may write).
const ReasonReloadCannotRun RefusalReason = "reload cannot run"

// preflighter is a reload that can tell, without sending anything to its
// server, that its Run would refuse before sending anything. Without this
// a publish --reload writes the new version, then its reload refuses:
// the store is ahead of what is served, for a cause known beforehand.
type preflighter interface {
	Preflight() error
}

// preflightReloads checks the groups' reloads before an action changes
// anything: Plan calls it (so --dry-run and the console's dialog show the
// refusal), and so does Run, before the store change or the first reload
// (the CLI runs without planning, and the world may have changed since
// the plan). The refusal names the reload and keeps its fix.
func (e *Engine) preflightReloads(groups []reloadGroup) error {
	for _, g := range groups {
		rl, err := e.newReload(g)
		if err != nil {
			return err
		}
		p, ok := rl.(preflighter)
		if !ok {
			continue
		}
		if err := p.Preflight(); err != nil {
			return refuse(ReasonReloadCannotRun, "reload %s (%s): %v", g.reload.Name, g.reload.Kind, err)
		}
	}
	return nil
}

// refusePlan records a preflight refusal in plan p and returns it as the
// plan's error (Action.Plan's contract for a refused plan).
func refusePlan(p *Plan, verb, subject string, err error) error {
	if ref, ok := err.(*Refusal); ok {
		p.Refusal = ref
	}
	return fmt.Errorf("%s %s: %w", verb, subject, err)
}
