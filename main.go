// Command certdeck is a terminal console and a scripting tool for operators
// who keep TLS certificates alive across a fleet: it probes endpoints,
// watches certificate bundles on disk, shows expiry, chains, drift and
// session-ticket key ages, and rotates certificates atomically.
//
// This file holds the CLI only: flags and wiring. Behaviour lives in model,
// probe, rotate, ui and demo.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"runtime/debug"
	"time"

	"certdeck/demo"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/rotate"
	"certdeck/themes"
	"certdeck/ui"
	"certdeck/ui/report"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version recorded by `go install` is used.
var version = ""

// exitError carries a process exit code through cobra's error return, for
// commands whose exit status means something to scripts (check: 0-3).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// usageExit is the exit code for usage and configuration errors.
const usageExit = 3

// globalFlags are shared by the console and the subcommands that read the fleet.
type globalFlags struct {
	config   string
	theme    string
	readOnly bool
	bundles  []string // --bundle PATH, repeatable: ad-hoc bundle dirs or files
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exitError); ok {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "certdeck:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "certdeck:", err)
	return usageExit
}

func newRootCmd() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:   "certdeck [TARGET...]",
		Short: "Watch, verify and rotate TLS certificates across a fleet",
		Long: `certdeck probes TLS endpoints (and STARTTLS: smtp://, imap://, pop3://,
ftp://, postgres://), watches certificate bundles on disk, and shows what
matters on call: expiry, serials, chains, drift between disk and what is
served, and session-ticket key ages.

With no subcommand it opens the console on the configured fleet
($XDG_CONFIG_HOME/certdeck/config.yaml, $CERTDECK_CONFIG or --config),
plus any TARGET given as an argument.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
		// TARGETs are addresses, not subcommands.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConsole(cmd, &g, args)
		},
	}
	root.PersistentFlags().StringVar(&g.config, "config", "", "config file (default $CERTDECK_CONFIG or $XDG_CONFIG_HOME/certdeck/config.yaml)")
	root.PersistentFlags().StringVar(&g.theme, "theme", "", "console theme: ansi, dark, light, high-contrast, mono, or a file in $XDG_CONFIG_HOME/certdeck/themes/NAME.yaml")
	root.PersistentFlags().StringArrayVar(&g.bundles, "bundle", nil, "watch a certificate bundle dir or PEM file (repeatable; layout auto-detected)")
	root.PersistentFlags().BoolVar(&g.readOnly, "read-only", false, "console: disable every action that changes anything")
	root.AddCommand(newDemoCmd(&g))
	root.AddCommand(newVersionCmd())
	root.AddCommand(newCheckCmd(&g))
	root.AddCommand(newRotateCmd(&g), newRollbackCmd(&g), newStoreCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the certdeck version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "certdeck", buildVersion())
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// runConsole opens the console on the configured fleet plus TARGETs.
func runConsole(cmd *cobra.Command, g *globalFlags, args []string) error {
	fleet, _, err := loadConfiguredFleet(g)
	if err != nil {
		return &exitError{code: usageExit, err: err}
	}
	if fleet, err = model.FleetFromTargets(args, fleet); err != nil {
		return &exitError{code: usageExit, err: err}
	}
	if fleet, err = model.FleetWithBundlePaths(fleet, g.bundles, ""); err != nil {
		return &exitError{code: usageExit, err: err}
	}
	return openConsole(cmd, g, fleet)
}

// loadConfiguredFleet reads the config the flags and environment point at.
// A missing default config is not an error (fleet is nil: targets only);
// a missing file the user named is. path is the file that was tried.
func loadConfiguredFleet(g *globalFlags) (fleet *model.Fleet, path string, err error) {
	path, explicit := model.ConfigPath(g.config)
	fleet, err = model.LoadFleet(path)
	if err != nil && !explicit && errors.Is(err, fs.ErrNotExist) {
		return nil, path, nil
	}
	return fleet, path, err
}

// openConsole picks the theme and runs the console until the user quits.
func openConsole(cmd *cobra.Command, g *globalFlags, fleet *model.Fleet) error {
	theme, decided, err := themes.Pick(themes.Choice{
		Flag: g.theme, NoColor: os.Getenv("NO_COLOR"), Config: fleet.Theme, Dir: themes.Dir(model.ConfigDir()),
	})
	if err != nil {
		return &exitError{code: usageExit, err: err}
	}
	return ui.Run(cmd.Context(), fleet, ui.Options{Theme: theme, ThemeDecided: decided, ReadOnly: g.readOnly})
}

func newDemoCmd(g *globalFlags) *cobra.Command {
	var extra int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Open the console on a built-in demo fleet of local TLS servers",
		Long: `demo starts a private CA and a dozen TLS servers on 127.0.0.1 (healthy,
expiring, expired, untrusted, wrong host, stalled, refused, STARTTLS SMTP,
a ticket-key pool, certificates renewed every 45s) and opens the console
on them. Nothing is installed and nothing outside 127.0.0.1 is contacted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			restore, err := sandboxState()
			if err != nil {
				return err
			}
			defer restore()
			fleet, cleanup, err := demo.Start(cmd.Context(), demo.Options{Extra: extra})
			if err != nil {
				return err
			}
			defer cleanup()
			return openConsole(cmd, g, fleet)
		},
	}
	cmd.Flags().IntVar(&extra, "endpoints", 0, "add N extra healthy endpoints")
	return cmd
}

// sandboxState points $XDG_STATE_HOME at a temp dir for the rest of the
// process: a publish or rollback tried in the demo console must not append
// to the user's real audit log. restore removes the dir and the override.
func sandboxState() (restore func(), err error) {
	dir, err := os.MkdirTemp("", "certdeck-demo-state-")
	if err != nil {
		return nil, fmt.Errorf("demo state dir: %w", err)
	}
	old, had := os.LookupEnv("XDG_STATE_HOME")
	if err := os.Setenv("XDG_STATE_HOME", dir); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("demo state dir: %w", err)
	}
	return func() {
		if had {
			os.Setenv("XDG_STATE_HOME", old)
		} else {
			os.Unsetenv("XDG_STATE_HOME")
		}
		os.RemoveAll(dir)
	}, nil
}

// newRotateCmd is `certdeck rotate`: publish a bundle into the atomic store,
// from named files or (as a certbot --deploy-hook) from a lineage dir.
func newRotateCmd(g *globalFlags) *cobra.Command {
	var (
		storeDir, cert, key, chain, fullchain, ca, fromCertbot string
		keep                                                   int
		alsoWrite                                              []string
		allowNameChange                                        bool
	)
	cmd := &cobra.Command{
		Use:   "rotate NAME --store DIR (--cert F --key F [--chain F | --fullchain F] | --from-certbot [LINEAGE])",
		Short: "Validate a certificate and publish it atomically into the bundle store",
		Long: `rotate validates the key, chain, validity window and names, then publishes
a new version of bundle NAME under <store>/NAME and swaps <store>/NAME/current
with one rename. On refusal nothing changes and the exit status is 1.

As a certbot deploy hook: certdeck rotate NAME --store DIR --from-certbot
(reads $RENEWED_LINEAGE when no LINEAGE is given).`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if storeDir == "" {
				return &exitError{code: usageExit, err: errors.New("rotate: --store is required")}
			}
			var in rotate.Inputs
			var err error
			switch {
			case cmd.Flags().Changed("from-certbot"):
				lineage := fromCertbot
				if len(args) == 2 {
					lineage = args[1] // `--from-certbot DIR` with a space
				}
				if lineage == certbotEnvDefault {
					lineage = os.Getenv("RENEWED_LINEAGE")
				}
				if lineage == "" {
					return &exitError{code: usageExit, err: errors.New("rotate: --from-certbot needs a lineage dir or $RENEWED_LINEAGE")}
				}
				in, err = rotate.LoadSource(lineage)
				in.Source = "certbot:" + lineage
				if err == nil && ca != "" {
					in.CA, err = os.ReadFile(ca)
				}
			case len(args) == 2:
				return &exitError{code: usageExit, err: fmt.Errorf("rotate: unexpected argument %q", args[1])}
			case cert == "" && fullchain == "" || key == "":
				return &exitError{code: usageExit, err: errors.New("rotate: need --key and --cert or --fullchain (or --from-certbot)")}
			case fullchain != "" && (cert != "" || chain != ""):
				return &exitError{code: usageExit, err: errors.New("rotate: use --fullchain alone, or --cert with optional --chain")}
			default:
				in, err = rotate.LoadFiles(cert, key, chain, fullchain, ca)
			}
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			in.AllowNameChange = allowNameChange
			in.AlsoWrite = alsoWrite
			s := &rotate.Store{Dir: storeDir, Keep: keep, ReadOnly: g.readOnly}
			res, err := s.Publish(name, in)
			return printResult(cmd, res, err)
		},
	}
	f := cmd.Flags()
	f.StringVar(&storeDir, "store", "", "bundle store directory (holds one directory per bundle)")
	f.StringVar(&cert, "cert", "", "leaf certificate PEM (may include the chain)")
	f.StringVar(&key, "key", "", "private key PEM")
	f.StringVar(&chain, "chain", "", "intermediates PEM")
	f.StringVar(&fullchain, "fullchain", "", "leaf + intermediates PEM (instead of --cert/--chain)")
	f.StringVar(&ca, "ca", "", "verify the chain against these roots instead of the system's")
	f.IntVar(&keep, "keep", rotate.DefaultKeep, "versions to retain (current and the one before it are always kept)")
	f.StringArrayVar(&alsoWrite, "also-write", nil, "also replace this single file (key + fullchain, 0600) atomically; repeatable")
	f.BoolVar(&allowNameChange, "allow-name-change", false, "publish even if names the current version covers are dropped")
	f.StringVar(&fromCertbot, "from-certbot", "", "read cert.pem/chain.pem/fullchain.pem/privkey.pem from a certbot lineage dir ($RENEWED_LINEAGE if none)")
	f.Lookup("from-certbot").NoOptDefVal = certbotEnvDefault
	return cmd
}

// printResult reports a publish or rollback: the outcome on stdout,
// warnings on stderr, and exit status 1 with the reason on refusal.
func printResult(cmd *cobra.Command, res *rotate.Result, err error) error {
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	fmt.Fprintln(cmd.OutOrStdout(), res.Describe())
	for _, w := range res.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "certdeck: warning:", w)
	}
	return nil
}

// certbotEnvDefault marks `--from-certbot` given without a directory.
const certbotEnvDefault = "$RENEWED_LINEAGE"

// newRollbackCmd is `certdeck rollback`: swap current back to an older version.
func newRollbackCmd(g *globalFlags) *cobra.Command {
	var storeDir, to string
	cmd := &cobra.Command{
		Use:   "rollback NAME --store DIR [--to vNNNN]",
		Short: "Make an older version of a store bundle current again (one atomic rename)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if storeDir == "" {
				return &exitError{code: usageExit, err: errors.New("rollback: --store is required")}
			}
			s := &rotate.Store{Dir: storeDir, ReadOnly: g.readOnly}
			res, err := s.Rollback(args[0], to)
			return printResult(cmd, res, err)
		},
	}
	cmd.Flags().StringVar(&storeDir, "store", "", "bundle store directory")
	cmd.Flags().StringVar(&to, "to", "", "version to make current (default: the one before current)")
	return cmd
}

// newStoreCmd is `certdeck store ls`: versions, which is current, serial, expiry.
func newStoreCmd() *cobra.Command {
	store := &cobra.Command{Use: "store", Short: "Inspect the atomic bundle store"}
	var storeDir, format string
	ls := &cobra.Command{
		Use:   "ls [NAME...] --store DIR [--format json]",
		Short: "List bundle versions: current, serial, expiry, names",
		RunE: func(cmd *cobra.Command, args []string) error {
			if storeDir == "" {
				return &exitError{code: usageExit, err: errors.New("store ls: --store is required")}
			}
			if format != "table" && format != "json" {
				return &exitError{code: usageExit, err: fmt.Errorf("store ls: --format %q: use table or json", format)}
			}
			s := &rotate.Store{Dir: storeDir, ReadOnly: true}
			names := args
			if len(names) == 0 {
				var err error
				if names, err = s.Bundles(); err != nil {
					return &exitError{code: 1, err: err}
				}
			}
			var rows []rotate.VersionListing
			for _, n := range names {
				vs, err := s.Versions(n)
				if err != nil {
					return &exitError{code: 1, err: err}
				}
				rows = append(rows, vs...)
			}
			return rotate.WriteVersions(cmd.OutOrStdout(), rows, format == "json")
		},
	}
	ls.Flags().StringVar(&storeDir, "store", "", "bundle store directory")
	ls.Flags().StringVar(&format, "format", "table", "table or json")
	store.AddCommand(ls)
	return store
}

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
