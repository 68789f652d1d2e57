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
	"runtime/debug"

	"certdeck/demo"
	"certdeck/model"
	"certdeck/themes"
	"certdeck/ui"

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
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConsole(cmd, &g, args)
		},
	}
	root.PersistentFlags().StringVar(&g.config, "config", "", "config file (default $CERTDECK_CONFIG or $XDG_CONFIG_HOME/certdeck/config.yaml)")
	root.PersistentFlags().StringVar(&g.theme, "theme", "", "console theme: ansi, dark, light, high-contrast, mono, or a file in $XDG_CONFIG_HOME/certdeck/themes/NAME.yaml")
	root.PersistentFlags().BoolVar(&g.readOnly, "read-only", false, "console: disable every action that changes anything")
	root.AddCommand(newDemoCmd(&g))
	root.AddCommand(newVersionCmd())
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
	path, explicit := model.ConfigPath(g.config)
	fleet, err := model.LoadFleet(path)
	switch {
	case err == nil:
	case !explicit && errors.Is(err, fs.ErrNotExist):
		fleet = nil // no config yet: targets only
	default:
		return &exitError{code: usageExit, err: err}
	}
	if fleet, err = model.FleetFromTargets(args, fleet); err != nil {
		return &exitError{code: usageExit, err: err}
	}
	return openConsole(cmd, g, fleet)
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
