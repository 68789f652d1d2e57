// `certdeck check`: one probe round for cron and monitoring.

package main

import (
	"fmt"
	"os"
	"os/signal"
	"time"

	"certdeck/model"
	"certdeck/probe"
	"certdeck/ui/report"

	"github.com/spf13/cobra"
)

// checkFlags are the options of `certdeck check`; durations accept days (30d).
type checkFlags struct {
	format, ca, sni     string
	timeout, warn, crit string
	concurrency         int
}

func newCheckCmd(g *globalFlags) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [TARGET...]",
		Short: "Probe every endpoint once and print the result; exit 0 OK, 1 WARN, 2 CRIT/ERROR, 3 usage",
		Long: `check runs one probe round over the configured fleet plus any TARGET
(host, host:port, [v6]:port, smtp://, imap://, pop3://, ftp://, postgres://)
and prints one line per endpoint, worst first, or JSON.

Exit status: 0 every endpoint OK; 1 the worst is WARN or UNKNOWN; 2 any
endpoint is CRIT or ERROR; 3 usage or configuration error.

--ca and --sni apply to the TARGET arguments (to every configured endpoint
when no TARGET is given); --timeout, --concurrency, --warn and --crit
override the config for all endpoints.`,
		Example: `  certdeck check example.com
  certdeck check smtp://mail.example.com:25 --warn 21d --format json
  certdeck check 10.0.0.5:8443 --sni api.internal --ca ./private-ca.pem`,
		RunE: func(cmd *cobra.Command, args []string) error { return runCheck(cmd, g, &f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	fl.StringVar(&f.ca, "ca", "", "PEM file of trust roots instead of the system roots")
	fl.StringVar(&f.sni, "sni", "", "server name to send and verify")
	fl.StringVar(&f.timeout, "timeout", "", "deadline per probe covering DNS, connect, STARTTLS and handshake (e.g. 5s)")
	fl.IntVar(&f.concurrency, "concurrency", 0, "probes in flight at once (1-4096)")
	fl.StringVar(&f.warn, "warn", "", "WARN when less than this is left (e.g. 30d)")
	fl.StringVar(&f.crit, "crit", "", "CRIT when less than this is left (e.g. 7d)")
	return cmd
}

// runCheck wires config, flags, one probe round and the report together.
func runCheck(cmd *cobra.Command, g *globalFlags, f *checkFlags, args []string) error {
	usage := func(err error) error { return &exitError{code: report.ExitUsage, err: err} }
	if f.format != "table" && f.format != "json" {
		return usage(fmt.Errorf("--format %q: want table or json", f.format))
	}
	fleet, path, err := loadConfiguredFleet(g)
	if err != nil {
		return usage(err)
	}
	if fleet == nil && len(args) == 0 && len(g.bundles) == 0 {
		return usage(fmt.Errorf("nothing to check: no config at %s and no TARGET or --bundle given (try: certdeck check example.com:443, or --config FILE)", path))
	}
	configured := 0
	if fleet != nil {
		configured = len(fleet.Endpoints)
	}
	if fleet, err = model.FleetFromTargets(args, fleet); err != nil {
		return usage(err)
	}
	if err := f.apply(fleet, len(args) > 0, configured); err != nil {
		return usage(err)
	}
	// Ad-hoc bundles take --ca as their extra trust roots, as targets do.
	if fleet, err = model.FleetWithBundlePaths(fleet, g.bundles, f.ca); err != nil {
		return usage(err)
	}
	if len(fleet.Endpoints) == 0 && len(fleet.Bundles) == 0 {
		return usage(fmt.Errorf("%s defines no endpoints or bundles and no TARGET was given", path))
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	obs := probe.Round(ctx, fleet, probe.RoundOptions{})
	now := time.Now()
	state := model.NewState(fleet)
	events := make([]model.Event, len(obs))
	for i, o := range obs {
		events[i] = o
	}
	state.Apply(now, events)
	// Bundles after observations, so drift compares against what is served.
	state.Apply(now, probe.BundleEvents(fleet.Bundles, now))

	out := cmd.OutOrStdout()
	if f.format == "json" {
		err = report.JSON(out, state, now)
	} else {
		err = report.Table(out, state, now)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if code := report.ExitCode(state.Worst()); code != report.ExitOK {
		return &exitError{code: code}
	}
	return nil
}

// apply puts the check flags on the fleet. --ca and --sni target the
// endpoints from arguments (everything when there are none).
func (f *checkFlags) apply(fleet *model.Fleet, fromArgs bool, configured int) error {
	if f.timeout != "" {
		d, err := model.ParseDuration(f.timeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("--timeout %q: want a positive duration such as 5s", f.timeout)
		}
		fleet.Timeout = d
	}
	if f.concurrency != 0 {
		if f.concurrency < 1 || f.concurrency > 4096 {
			return fmt.Errorf("--concurrency %d: must be 1-4096", f.concurrency)
		}
		fleet.Concurrency = f.concurrency
	}
	var warn, crit time.Duration
	var err error
	if f.warn != "" {
		if warn, err = model.ParseDuration(f.warn); err != nil {
			return fmt.Errorf("--warn: %w", err)
		}
	}
	if f.crit != "" {
		if crit, err = model.ParseDuration(f.crit); err != nil {
			return fmt.Errorf("--crit: %w", err)
		}
	}
	if f.ca != "" {
		if _, err := os.Stat(f.ca); err != nil {
			return fmt.Errorf("--ca: %w", err)
		}
	}
	first := 0
	if fromArgs {
		first = configured
	}
	for i := range fleet.Endpoints {
		ep := &fleet.Endpoints[i]
		if f.warn != "" {
			ep.Thresholds.Warn = warn
		}
		if f.crit != "" {
			ep.Thresholds.Crit = crit
		}
		if ep.Thresholds.Crit > ep.Thresholds.Warn {
			return fmt.Errorf("endpoint %s: crit (%s) must not exceed warn (%s)", ep.Name,
				model.FormatDays(ep.Thresholds.Crit), model.FormatDays(ep.Thresholds.Warn))
		}
		if i < first {
			continue
		}
		if f.ca != "" {
			ep.CAFile = f.ca
		}
		if f.sni != "" {
			ep.SNI = f.sni
		}
	}
	return nil
}
