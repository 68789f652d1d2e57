// The console and the demo: flags, fleet loading and theme choice.

package main

import (
	"errors"
	"io/fs"
	"os"

	"certdeck/demo"
	"certdeck/model"
	"certdeck/rotate"
	"certdeck/themes"
	"certdeck/ui"

	"github.com/spf13/cobra"
)

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
	return openConsole(cmd, g, fleet, rotate.StoreOptions{})
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

// openConsole picks the theme and runs the console until the user quits;
// store configures the stores its publish and rollback open.
func openConsole(cmd *cobra.Command, g *globalFlags, fleet *model.Fleet, store rotate.StoreOptions) error {
	theme, decided, err := themes.Pick(themes.Choice{
		Flag: g.theme, NoColor: os.Getenv("NO_COLOR"), Config: fleet.Theme, Dir: themes.Dir(model.ConfigDir()),
	})
	if err != nil {
		return &exitError{code: usageExit, err: err}
	}
	return ui.Run(cmd.Context(), fleet, ui.Options{Theme: theme, ThemeDecided: decided, ReadOnly: g.readOnly, Store: store})
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
			// A publish or rollback tried in the demo is a rehearsal: it
			// must not append to the user's real audit log.
			return openConsole(cmd, g, fleet, rotate.StoreOptions{AuditLog: "-"})
		},
	}
	cmd.Flags().IntVar(&extra, "endpoints", 0, "add N extra healthy endpoints")
	return cmd
}
