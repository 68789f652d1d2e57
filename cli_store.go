// The store commands: rotate (publish), rollback, store ls.

package main

import (
	"errors"
	"fmt"
	"os"

	"certdeck/rotate"

	"github.com/spf13/cobra"
)

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
