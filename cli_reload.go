// The action commands' shared path (reload, and rotate/rollback/prune in
// cli_store.go): one rotate.Engine per command, --dry-run printing the
// plan, the outcome printed one line per endpoint, exit status by outcome.

package main

import (
	"context"
	"fmt"
	"time"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"

	"github.com/spf13/cobra"
)

// Exit statuses of actions that verify (reload, rotate --reload,
// rollback --reload), beyond storeRefused (1: refused or failed, nothing
// changed) and storeOutputsStale (2).
const (
	// actionNotVerified: done, but an endpoint does not serve the new
	// serial (or its reload failed after the store changed).
	actionNotVerified = 4
	// actionRolledBack: not served, so on_verify_fail rolled the store
	// back, and the previous serial is verified again.
	actionRolledBack = 5
	// actionRollbackFailed: not served, and the rollback failed or did
	// not verify either: nobody knows what is served. The loudest.
	actionRollbackFailed = 6
)

// actionFlags are the flags every action command shares.
type actionFlags struct {
	dryRun  bool
	timeout time.Duration
}

func (af *actionFlags) register(cmd *cobra.Command, verifies bool) {
	cmd.Flags().BoolVar(&af.dryRun, "dry-run", false, "print exactly what would run (argv, host and port, socket and command, files) and change nothing")
	if verifies {
		cmd.Flags().DurationVar(&af.timeout, "timeout", 0, "how long verification may take (default: the bundle's verify_timeout, 30s)")
	}
}

func (af *actionFlags) check(verb string) error {
	if af.timeout != 0 {
		if err := model.ValidateVerifyTimeout(af.timeout); err != nil {
			return usageError(fmt.Errorf("%s: --timeout: %w", verb, err))
		}
	}
	return nil
}

// newEngine is the engine a command's actions run on: the CLI's prober
// verifies, every layout's serial is read from disk, the audit line goes
// where store says.
func newEngine(g *globalFlags, fleet *model.Fleet, af actionFlags, store rotate.StoreOptions) *rotate.Engine {
	opts := rotate.EngineOptions{
		Fleet: fleet, ReadOnly: g.readOnly, BundleSerial: probe.BundleSerial, Store: store,
		VerifyTimeout: af.timeout,
	}
	if fleet != nil {
		opts.Verifier = probe.NewServedProber(fleet, probe.ProbeOptions{})
	}
	return rotate.NewEngine(opts)
}

// runAction plans (--dry-run) or runs a, and prints the result.
func runAction(cmd *cobra.Command, a rotate.Action, af actionFlags) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if af.dryRun {
		return printPlan(cmd, a, ctx)
	}
	out, err := a.Run(ctx, nil)
	return printOutcome(cmd, out, err)
}

// printPlan is --dry-run: the plan, line by line, and nothing changed.
func printPlan(cmd *cobra.Command, a rotate.Action, ctx context.Context) error {
	p, err := a.Plan(ctx)
	w := cmd.OutOrStdout()
	if len(p.Kind) > 0 {
		for _, l := range p.Lines() {
			fmt.Fprintln(w, model.Sanitize(l))
		}
	}
	if err != nil {
		if p.Refusal != nil && len(p.Kind) > 0 {
			// The plan's last line said why: stderr need not repeat it.
			return &exitError{code: storeRefused}
		}
		return storeError(storeRefused, err)
	}
	fmt.Fprintln(w, "dry run: nothing was changed")
	return nil
}

// printOutcome prints one line per store change, reload and endpoint,
// the rollback leg, the result; warnings on stderr; and returns the exit
// status the outcome means. Every line is sanitised: names, paths and a
// server's output come from the config and the far side. An action that
// ran has said what went wrong on its result lines (stdout), so its exit
// status carries no message: stderr would only repeat them. A refusal,
// which prints no line, goes to stderr.
func printOutcome(cmd *cobra.Command, out *rotate.Outcome, err error) error {
	if out == nil {
		return storeError(storeRefused, err)
	}
	for _, w := range out.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "certdeck: warning:", model.Sanitize(w))
	}
	if out.State == rotate.OutcomeRefused || out.State == rotate.OutcomeCancelled && !changed(out) {
		return storeError(storeRefused, err)
	}
	for _, l := range out.Lines() {
		fmt.Fprintln(cmd.OutOrStdout(), model.Sanitize(l))
	}
	code := exitCodeOf(out)
	switch code {
	case 0:
		return nil
	case storeOutputsStale:
		return storeError(code, alsoFailedError(out.Forward.Store))
	}
	return &exitError{code: code}
}

// changed reports whether the outcome changed the store.
func changed(out *rotate.Outcome) bool {
	s := out.Forward.Store
	return s != nil && !s.Unchanged || out.Forward.Pruned != nil
}

// exitCodeOf maps an outcome to the exit status scripts match on.
func exitCodeOf(out *rotate.Outcome) int {
	switch out.State {
	case rotate.OutcomeOK:
		if s := out.Forward.Store; s != nil && len(s.AlsoFailed) > 0 {
			return storeOutputsStale
		}
		return 0
	case rotate.OutcomeUnverified:
		return actionNotVerified
	case rotate.OutcomeRolledBack:
		return actionRolledBack
	case rotate.OutcomeRollbackFailed:
		return actionRollbackFailed
	}
	// Failed or cancelled: after the store changed, what is served is not
	// what it holds; before, nothing changed.
	if changed(out) {
		return actionNotVerified
	}
	return storeRefused
}

// newReloadCmd is `certdeck reload`: run a bundle's or an endpoint's
// reload(s) and prove by handshake that the new certificate is served.
func newReloadCmd(g *globalFlags) *cobra.Command {
	var af actionFlags
	cmd := &cobra.Command{
		Use:   "reload BUNDLE|ENDPOINT [--config F] [--dry-run] [--timeout D]",
		Short: "Run the configured reload(s), then verify every endpoint serves the bundle's certificate",
		Long: `reload runs the reload configured for a bundle's endpoints (reload: on the
bundle, overridden by reload: on an endpoint) or for one endpoint, then probes
each endpoint with backoff until it presents the bundle's current serial, up
to verify_timeout (default 30s). One line per endpoint: verified, still serving
<serial>, or its probe error. A bundle with on_verify_fail: rollback whose
endpoints do not verify is rolled back to its rollback target (as rollback
without --to chooses it), reloaded again and verified; the version it moved
away from is marked rolled back, not verified (certdeck store ls).

A name that is both a bundle and an endpoint means the bundle when it serves
that endpoint; otherwise say bundle/NAME or endpoint/NAME.

Exit status: 0 every endpoint verified; 1 refused or the reload failed
(nothing else changed); 3 usage or config error; 4 not verified; 5 not
verified and rolled back (the previous serial is served again); 6 the
rollback failed or did not verify either.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := af.check("reload"); err != nil {
				return err
			}
			fleet, err := configuredFleet(g, "reload")
			if err != nil {
				return err
			}
			a, err := newEngine(g, fleet, af, rotate.StoreOptions{}).Reload(args[0])
			if err != nil {
				return usageError(err)
			}
			return runAction(cmd, a, af)
		},
	}
	af.register(cmd, true)
	return cmd
}

// configuredFleet is the fleet a command that needs one reads: the
// config the flags and environment point at, which must exist.
func configuredFleet(g *globalFlags, verb string) (*model.Fleet, error) {
	fleet, path, err := loadConfiguredFleet(g, false)
	if err != nil {
		return nil, usageError(err)
	}
	if fleet == nil {
		return nil, usageError(fmt.Errorf("%s needs a config naming bundles, endpoints and reloads (no %s; pass --config FILE)", verb, orDefault(path)))
	}
	if err := rotate.CheckReloads(fleet); err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", path, err))
	}
	if err := checkConfigRunsSafely(fleet, path); err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", verb, err))
	}
	return fleet, nil
}

// checkConfigRunsSafely refuses a config defining reloads (argv certdeck
// runs, often as root) that another user could have written: it would be
// their commands that run.
func checkConfigRunsSafely(fleet *model.Fleet, path string) error {
	if len(fleet.Reloads) == 0 || path == "" {
		return nil
	}
	if err := rotate.CheckTrustedFile("config", path); err != nil {
		return fmt.Errorf("refusing to run the reloads it defines: %w", err)
	}
	return nil
}

func orDefault(path string) string {
	if path == "" {
		return "default config"
	}
	return path
}
