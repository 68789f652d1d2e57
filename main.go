// Command certdeck is a terminal console and a scripting tool for operators
// who keep TLS certificates alive across a fleet: it probes endpoints,
// watches certificate bundles on disk, shows expiry, chains, drift and
// session-ticket key ages, and rotates certificates atomically.
//
// The main package holds the CLI only: flags and wiring, one file per
// command group (cli_*.go). Behaviour lives in model, probe, rotate, ui
// and demo.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"certdeck/model"

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
	layout   string   // --layout of every --bundle
	ca, sni  string   // console: --ca and --sni for TARGETs (check has its own)
}

func main() {
	ctx, stop := interruptContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interruptContext is cancelled by the first SIGINT or SIGTERM, so a
// command waiting on something (rotate's 30 s wait for the store's lock, a
// probe round, a reload) ends through its normal path and says why. That
// first signal also restores the default action: a second ^C kills at
// once, whatever is not listening.
func interruptContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// run executes the command line and returns the exit status. Every error
// is printed here, once, through model.Sanitize: errors echo command-line
// arguments, file names and certificate fields (rotate's refusals), any
// of which may carry escape sequences meant for the terminal. cobra's own
// errors (unknown flag, bad argument) come back here too, as SilenceErrors
// is set on the root.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code := usageExit
	if ee, ok := err.(*exitError); ok {
		code, err = ee.code, ee.err
	}
	if err != nil {
		fmt.Fprintln(stderr, "certdeck:", model.Sanitize(err.Error()))
	}
	return code
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
	root.PersistentFlags().StringArrayVar(&g.bundles, "bundle", nil, "watch a certificate bundle dir or PEM file (repeatable; layout auto-detected unless --layout)")
	root.PersistentFlags().StringVar(&g.layout, "layout", model.LayoutAuto, "layout of every --bundle: auto, certbot, store, pair (cert.pem + privkey.pem) or single-file")
	root.Flags().StringVar(&g.ca, "ca", "", "PEM file of trust roots for the TARGETs (every configured endpoint when none is given) instead of the system roots")
	root.Flags().StringVar(&g.sni, "sni", "", "server name to send and verify for the TARGETs (every configured endpoint when none is given)")
	root.PersistentFlags().BoolVar(&g.readOnly, "read-only", false, "console: disable every action that changes anything")
	root.AddCommand(newDemoCmd(&g))
	root.AddCommand(newVersionCmd())
	root.AddCommand(newCheckCmd(&g))
	root.AddCommand(newRotateCmd(&g), newRollbackCmd(&g), newStoreCmd(&g), newReloadCmd(&g))
	root.AddCommand(newTicketsCmd(&g))
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
