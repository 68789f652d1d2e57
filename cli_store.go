// The store commands: rotate (publish), rollback, store ls, store prune.
// Every one that changes something runs as a rotate.Action (cli_reload.go).

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"certdeck/model"
	"certdeck/rotate"

	"github.com/spf13/cobra"
)

// Exit statuses of rotate and rollback, for deploy hooks.
const (
	// storeRefused: refused or failed; nothing changed.
	storeRefused = 1
	// storeOutputsStale: published, but an --also-write output could not
	// be replaced and still holds the previous certificate.
	storeOutputsStale = 2
)

// newRotateCmd is `certdeck rotate`: publish a bundle into the atomic store,
// from named files or (as a certbot --deploy-hook) from a lineage dir;
// with --reload, then run the bundle's reloads and verify.
func newRotateCmd(g *globalFlags) *cobra.Command {
	var (
		storeDir, cert, key, chain, fullchain, ca, fromCertbot string
		keep                                                   int
		alsoWrite                                              []string
		allowNameChange, allowShorter, reload                  bool
		af                                                     actionFlags
	)
	cmd := &cobra.Command{
		Use:   "rotate NAME [--store DIR] ((--cert F [--chain F] | --fullchain F) --key F | --from-certbot [LINEAGE]) [--reload] [--dry-run]",
		Short: "Validate a certificate and publish it atomically into the bundle store",
		Long: `rotate validates the key, chain, validity window and names, then publishes
a new version of bundle NAME under <store>/NAME and swaps <store>/NAME/current
with one rename. A certificate that expires sooner than the current one is
refused without --allow-shorter; one identical to the current version makes
no new version ("already current vNNNN").

--reload (needs the config: --config, $CERTDECK_CONFIG or the default) then
runs the reloads of the endpoints the bundle serves and verifies by handshake
that each serves the new serial; with on_verify_fail: rollback a publish that
is not served is rolled back, reloaded and verified again. --store may be
left out when the config names the bundle. --dry-run prints what would run.

Exit status: 0 published (or already current) and, with --reload, verified;
1 refused or failed, nothing changed; 2 published, but an --also-write output
could not be replaced (it still holds the previous certificate); 3 usage
error; 4 published but not verified; 5 not verified and rolled back (the
previous certificate is served again); 6 the rollback failed too.

As a certbot deploy hook: certdeck rotate NAME --store DIR --from-certbot
(reads $RENEWED_LINEAGE when no LINEAGE is given).`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := af.check("rotate"); err != nil {
				return err
			}
			// The audit log, store ls and meta.json's source say where a
			// version came from: as a path that means the same tomorrow.
			if err := absPaths(&storeDir, &cert, &key, &chain, &fullchain, &ca, &fromCertbot); err != nil {
				return usageError(err)
			}
			for i := range alsoWrite {
				if err := absPaths(&alsoWrite[i]); err != nil {
					return usageError(err)
				}
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
				if err := absPaths(&lineage); err != nil {
					return usageError(err)
				}
				if lineage == "" {
					return usageError(errors.New("rotate: --from-certbot needs a lineage dir or $RENEWED_LINEAGE"))
				}
				in, err = rotate.LoadSource(lineage)
				in.Source = "certbot:" + lineage
				if err == nil && ca != "" {
					in.CA, err = rotate.ReadCAFile(ca)
				}
			case len(args) == 2:
				return usageError(fmt.Errorf("rotate: unexpected argument %q", args[1]))
			case cert == "" && fullchain == "" || key == "":
				return usageError(errors.New("rotate: need --key and --cert or --fullchain (or --from-certbot)"))
			case fullchain != "" && (cert != "" || chain != ""):
				return usageError(errors.New("rotate: use --fullchain alone, or --cert with optional --chain"))
			default:
				in, err = rotate.LoadFiles(cert, key, chain, fullchain, ca)
			}
			fleet, ferr := storeFleet(cmd, g, "rotate", storeDir, reload)
			if ferr != nil {
				return ferr
			}
			if err == nil && ca == "" {
				// The configured bundle's ca: is what check and the
				// console verify its chain against; rotate must agree.
				in.CA, err = configuredCA(fleet, name)
			}
			if err != nil {
				return storeError(storeRefused, err)
			}
			in.AllowNameChange, in.AllowShorter = allowNameChange, allowShorter
			in.AlsoWrite = alsoWrite
			e := newEngine(g, fleet, af, rotate.StoreOptions{Keep: keep})
			a, err := e.Publish(rotate.PublishRequest{Bundle: name, Store: storeDir, Reload: reload, Verify: reload,
				Inputs: func() (rotate.Inputs, error) { return in, nil }})
			if err != nil {
				return usageError(err)
			}
			return runAction(cmd, a, af)
		},
	}
	f := cmd.Flags()
	f.StringVar(&storeDir, "store", "", "bundle store directory (holds one directory per bundle); default: the configured bundle's")
	f.StringVar(&cert, "cert", "", "leaf certificate PEM (may include the chain)")
	f.StringVar(&key, "key", "", "private key PEM")
	f.StringVar(&chain, "chain", "", "intermediates PEM")
	f.StringVar(&fullchain, "fullchain", "", "leaf + intermediates PEM (instead of --cert/--chain)")
	f.StringVar(&ca, "ca", "", "verify the chain against these roots instead of the system's")
	f.IntVar(&keep, "keep", rotate.DefaultKeep, "good versions to retain (current and the rollback target are always kept)")
	f.StringArrayVar(&alsoWrite, "also-write", nil, "also replace this single file (key + fullchain) atomically, keeping its owner, group and mode (0600 if new); repeatable")
	f.BoolVar(&allowNameChange, "allow-name-change", false, "publish even if names the current version covers are dropped")
	f.BoolVar(&allowShorter, "allow-shorter", false, "publish even if the certificate expires sooner than the current version")
	f.StringVar(&fromCertbot, "from-certbot", "", "read cert.pem/chain.pem/fullchain.pem/privkey.pem from a certbot lineage dir ($RENEWED_LINEAGE if none)")
	f.Lookup("from-certbot").NoOptDefVal = certbotEnvDefault
	f.BoolVar(&reload, "reload", false, "then run the bundle's configured reloads and verify every endpoint it serves (needs the config)")
	af.register(cmd, true)
	return cmd
}

// absPaths makes every non-empty path absolute (certbotEnvDefault, the
// flag's "no value given" marker, is left as it is).
func absPaths(paths ...*string) error {
	for _, p := range paths {
		if *p == "" || *p == certbotEnvDefault {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("%s: %w", *p, err)
		}
		*p = abs
	}
	return nil
}

// configuredCA is the ca: file of bundle name in fleet (nil: no fleet, no
// such bundle, or no ca:, so the system roots).
func configuredCA(fleet *model.Fleet, name string) ([]byte, error) {
	if fleet == nil {
		return nil, nil
	}
	for _, b := range fleet.Bundles {
		if b.Name == name && b.CAFile != "" {
			ca, err := rotate.ReadCAFile(b.CAFile)
			if err != nil {
				return nil, fmt.Errorf("bundle %s: ca: %w", name, err)
			}
			return ca, nil
		}
	}
	return nil, nil
}

// storeFleet is the fleet a store command resolves its bundle in: the
// config when --reload needs it (it must exist) or when no --store says
// where the bundle lives; nil for a plain `--store` command, which reads
// no config (a deploy hook must not fail on an unrelated config error).
func storeFleet(cmd *cobra.Command, g *globalFlags, verb, storeDir string, reload bool) (*model.Fleet, error) {
	if reload {
		return configuredFleet(g, verb+" --reload")
	}
	if storeDir != "" {
		return nil, nil
	}
	fleet, err := configuredFleet(g, verb)
	if err != nil {
		return nil, usageError(fmt.Errorf("%s: --store is required (or a config naming the bundle): %w", verb, err))
	}
	return fleet, nil
}

// alsoFailedError names the --also-write outputs that still hold the
// previous certificate.
func alsoFailedError(res *rotate.Result) error {
	var failed []string
	for _, f := range res.AlsoFailed {
		failed = append(failed, f.Error)
	}
	return fmt.Errorf("%s %s is current, but %d --also-write output(s) still hold the previous certificate: %s",
		res.Bundle, res.New.Name, len(res.AlsoFailed), strings.Join(failed, "; "))
}

// certbotEnvDefault marks `--from-certbot` given without a directory.
const certbotEnvDefault = "$RENEWED_LINEAGE"

// newRollbackCmd is `certdeck rollback`: swap current back to an older version.
func newRollbackCmd(g *globalFlags) *cobra.Command {
	var storeDir, to string
	var reload bool
	var af actionFlags
	cmd := &cobra.Command{
		Use:   "rollback NAME [--store DIR] [--to vNNNN] [--reload] [--dry-run]",
		Short: "Make an older version of a store bundle current again (one atomic rename)",
		Long: `rollback makes an older version of bundle NAME current again with one
rename, after reading it back completely. Without --to it goes back to the
version that was current when the present one was published (for stores
written before certdeck recorded that: the highest version below current),
passing over versions an on_verify_fail rollback rolled back as not
verified; --to vNNNN names any version, and says so when it had been rolled
back. --reload then runs the bundle's reloads and verifies the endpoints it
serves (a failed verification is reported, never rolled back again).
--dry-run prints what would run and how the target was chosen. Exit status
as for rotate.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := af.check("rollback"); err != nil {
				return err
			}
			if err := absPaths(&storeDir); err != nil {
				return usageError(err)
			}
			fleet, err := storeFleet(cmd, g, "rollback", storeDir, reload)
			if err != nil {
				return err
			}
			a, err := newEngine(g, fleet, af, rotate.StoreOptions{}).Rollback(rotate.RollbackRequest{
				Bundle: args[0], Store: storeDir, Version: to, Reload: reload, Verify: reload})
			if err != nil {
				return usageError(err)
			}
			return runAction(cmd, a, af)
		},
	}
	cmd.Flags().StringVar(&storeDir, "store", "", "bundle store directory; default: the configured bundle's")
	cmd.Flags().StringVar(&to, "to", "", "version to make current (default: the one current before the present one was published)")
	cmd.Flags().BoolVar(&reload, "reload", false, "then run the bundle's configured reloads and verify every endpoint it serves (needs the config)")
	af.register(cmd, true)
	return cmd
}

// newStoreCmd is `certdeck store ls|prune`.
func newStoreCmd(g *globalFlags) *cobra.Command {
	store := &cobra.Command{Use: "store", Short: "Inspect and prune the atomic bundle store"}
	store.AddCommand(newStoreLsCmd(g), newStorePruneCmd(g))
	return store
}

// newStoreLsCmd is `certdeck store ls`: versions, which is current, serial, expiry.
func newStoreLsCmd(g *globalFlags) *cobra.Command {
	var storeDir, format string
	ls := &cobra.Command{
		Use:   "ls [NAME...] [--store DIR] [--format json]",
		Short: "List bundle versions: current, serial, expiry, names, rollback target and rolled-back marks",
		Long: `ls lists the versions of store bundles. With --store it reads that store
(NAMEs, or every bundle in it); without, the store-layout bundles of the
config (NAMEs among them, or all of them), as rotate and rollback find
them.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := absPaths(&storeDir); err != nil {
				return usageError(err)
			}
			if format != "table" && format != "json" {
				return usageError(fmt.Errorf("store ls: --format %q: use table or json", format))
			}
			stores, err := storesToList(cmd, g, storeDir, args)
			if err != nil {
				return err
			}
			var rows []rotate.VersionListing
			for _, sb := range stores {
				vs, err := sb.store.Versions(sb.name)
				if err != nil {
					return storeError(storeRefused, err)
				}
				rows = append(rows, vs...)
			}
			return rotate.WriteVersions(cmd.OutOrStdout(), rows, format == "json")
		},
	}
	ls.Flags().StringVar(&storeDir, "store", "", "bundle store directory; default: the configured store bundles'")
	ls.Flags().StringVar(&format, "format", "table", "table or json")
	return ls
}

// storeBundleRef is one bundle of one store.
type storeBundleRef struct {
	store *rotate.Store
	name  string
}

// storesToList resolves store ls's bundles: NAMEs (or all) of --store, or
// else the config's store-layout bundles (NAMEs among them, or all).
func storesToList(cmd *cobra.Command, g *globalFlags, storeDir string, names []string) ([]storeBundleRef, error) {
	if storeDir != "" {
		s := rotate.NewStore(storeDir, true, rotate.StoreOptions{})
		if len(names) == 0 {
			var err error
			if names, err = s.Bundles(); err != nil {
				return nil, storeError(storeRefused, err)
			}
		}
		out := make([]storeBundleRef, 0, len(names))
		for _, n := range names {
			out = append(out, storeBundleRef{store: s, name: n})
		}
		return out, nil
	}
	fleet, err := storeFleet(cmd, g, "store ls", "", false)
	if err != nil {
		return nil, err
	}
	byName := map[string]model.Bundle{}
	var all []string
	for _, b := range fleet.Bundles {
		byName[b.Name] = b
		if b.Layout == model.LayoutStore {
			all = append(all, b.Name)
		}
	}
	if len(names) == 0 {
		if len(all) == 0 {
			return nil, usageError(errors.New("store ls: the config has no bundle with layout: store; pass --store DIR"))
		}
		names = all
	}
	out := make([]storeBundleRef, 0, len(names))
	for _, n := range names {
		b, ok := byName[n]
		switch {
		case !ok:
			return nil, usageError(fmt.Errorf("store ls: no bundle %q in the config", n))
		case b.Layout != model.LayoutStore:
			return nil, usageError(fmt.Errorf("store ls: bundle %s has layout %s, not store: it has no versions", n, b.Layout))
		}
		s, name, err := rotate.BundleStore(b, true, rotate.StoreOptions{})
		if err != nil {
			return nil, usageError(fmt.Errorf("store ls: %w", err))
		}
		out = append(out, storeBundleRef{store: s, name: name})
	}
	return out, nil
}

// newStorePruneCmd is `certdeck store prune`: retention without a publish,
// e.g. to make room on a full disk before the next renewal.
func newStorePruneCmd(g *globalFlags) *cobra.Command {
	var storeDir string
	var keep int
	var af actionFlags
	prune := &cobra.Command{
		Use:   "prune NAME [--store DIR] [--keep N] [--dry-run]",
		Short: "Remove old versions of a store bundle (never current or the rollback target)",
		Long: `prune keeps the newest N good versions of bundle NAME (--keep) and removes
the others: versions rolled back as not verified first (they fill only the
places good versions leave), then good ones, oldest first. It never removes
the current version or the rollback target (the version rollback without
--to would make current), nor a version replaced less than a minute ago (a
reader may still hold it). It says why each version goes or stays, appends
one line to the audit log; --read-only refuses it; --dry-run lists what it
would remove.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := absPaths(&storeDir); err != nil {
				return usageError(err)
			}
			if keep < 1 {
				return usageError(fmt.Errorf("store prune: --keep %d: keep at least 1 (current and the rollback target stay regardless)", keep))
			}
			fleet, err := storeFleet(cmd, g, "store prune", storeDir, false)
			if err != nil {
				return err
			}
			a, err := newEngine(g, fleet, af, rotate.StoreOptions{Keep: keep}).Prune(rotate.PruneRequest{Bundle: args[0], Store: storeDir, Keep: keep})
			if err != nil {
				return usageError(err)
			}
			return runAction(cmd, a, af)
		},
	}
	prune.Flags().StringVar(&storeDir, "store", "", "bundle store directory; default: the configured bundle's")
	prune.Flags().IntVar(&keep, "keep", rotate.DefaultKeep, "good versions to retain (current and the rollback target always stay)")
	af.register(prune, false)
	return prune
}

// storeError is an exit status with an error whose text is sanitised: the
// store's refusals quote certificate subjects, SANs and issuers, and paths
// from the command line, any of which can carry terminal escapes. The
// wrapped error stays reachable for errors.Is/As.
func storeError(code int, err error) error {
	return &exitError{code: code, err: sanitizedError{err}}
}

func usageError(err error) error { return storeError(usageExit, err) }

// sanitizedError prints its error through model.Sanitize.
type sanitizedError struct{ err error }

func (e sanitizedError) Error() string { return model.Sanitize(e.err.Error()) }
func (e sanitizedError) Unwrap() error { return e.err }
