// The console and the demo: flags, fleet loading and theme choice.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"certdeck/demo"
	"certdeck/model"
	"certdeck/rotate"
	"certdeck/themes"
	"certdeck/ui"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
)

// runConsole opens the console on the configured fleet plus TARGETs.
func runConsole(cmd *cobra.Command, g *globalFlags, args []string) error {
	fleet, path, err := buildFleet(g, fleetInputs{targets: args, ca: g.ca, sni: g.sni})
	if err != nil {
		return &exitError{code: usageExit, err: err}
	}
	if fleet == nil {
		if fleet, err = model.FleetFromTargets(nil, nil); err != nil {
			return &exitError{code: usageExit, err: err}
		}
	}
	ctx, stop := hangupContext(cmd.Context())
	defer stop()
	history, note := ticketHistory()
	opts := ui.Options{TicketHistory: history, TicketHistoryNote: note}
	// A config another user could have written defines what the console
	// would run: it opens, to look, but acts on nothing.
	if err := checkConfigRunsSafely(fleet, path); err != nil && !g.readOnly {
		opts.ReadOnlyReason = model.Sanitize(err.Error())
	}
	return openConsole(ctx, cmd.ErrOrStderr(), g, fleet, rotate.StoreOptions{}, opts)
}

// hangupContext is cancelled by SIGHUP (the terminal closed, `tmux
// kill-session`), SIGTERM and SIGINT, so the console returns through its
// normal path and every deferred cleanup runs: the demo's temp dir holds a
// CA and private keys, and must not outlive it.
func hangupContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt)
}

// openConsole picks the theme and runs the console until the user quits
// or ctx ends; store configures the stores its publish and rollback open,
// extra carries the ticket history (the demo keeps none). A quit that
// cancelled running actions prints what they left on stderr.
func openConsole(ctx context.Context, stderr io.Writer, g *globalFlags, fleet *model.Fleet, store rotate.StoreOptions, extra ui.Options) error {
	themeDir := ""
	if dir, err := model.ConfigDir(); err == nil {
		themeDir = themes.Dir(dir) // no $HOME: built-in themes only
	}
	theme, decided, err := themes.Pick(themes.Choice{
		Flag: g.theme, NoColor: os.Getenv("NO_COLOR"), Config: fleet.Theme, Dir: themeDir,
	})
	if err != nil {
		return &exitError{code: usageExit, err: err}
	}
	opts := extra
	opts.Theme, opts.ThemeDecided, opts.ReadOnly, opts.Store, opts.ThemeDir = theme, decided, g.readOnly, store, themeDir
	// NO_COLOR has done its work above: it chose mono when nothing more
	// explicit did. Left in the program's environment it would also make
	// Bubble Tea detect a colourless terminal and strip every colour, so
	// --theme dark and :theme dark would still render bold only.
	err = ui.Run(ctx, fleet, opts, tea.WithEnvironment(withoutNoColor(os.Environ())))
	var quit *ui.QuitReport
	if errors.As(err, &quit) {
		return quitExit(stderr, quit)
	}
	return err
}

// quitExit prints what the actions cancelled by quitting the console
// left (the console has restored the terminal) and returns the exit
// status they mean, the worst of them as `certdeck reload` would exit;
// an action that said nothing in time left what is served unknown.
func quitExit(stderr io.Writer, r *ui.QuitReport) error {
	fmt.Fprintln(stderr, "certdeck: quit while actions ran (cancelled); what each left:")
	for _, l := range r.Lines {
		fmt.Fprintln(stderr, "  "+l) // sanitised by the console
	}
	code := 0
	for _, out := range r.Outcomes {
		code = max(code, exitCodeOf(out))
	}
	if len(r.Failed) > 0 {
		code = max(code, storeRefused)
	}
	if len(r.Unfinished) > 0 {
		code = max(code, actionNotVerified)
	}
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}

// withoutNoColor is environ without NO_COLOR: the terminal's colour
// profile is then detected from TERM and COLORTERM alone, and the theme
// (mono under NO_COLOR, unless a flag or :theme chose another) decides
// what is coloured.
func withoutNoColor(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "NO_COLOR=") {
			out = append(out, kv)
		}
	}
	return out
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
			// Signals first: a SIGHUP while the demo starts must still
			// reach the cleanups below.
			ctx, stop := hangupContext(cmd.Context())
			defer stop()
			fleet, cleanup, err := demo.Start(ctx, demo.Options{Extra: extra})
			if err != nil {
				return err
			}
			defer cleanup()
			// A publish or rollback tried in the demo is a rehearsal: it
			// must not append to the user's real audit log.
			return openConsole(ctx, cmd.ErrOrStderr(), g, fleet, rotate.StoreOptions{AuditLog: "-"}, ui.Options{})
		},
	}
	cmd.Flags().IntVar(&extra, "endpoints", 0, "add N extra healthy endpoints")
	return cmd
}
