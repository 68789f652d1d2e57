// Building the fleet from config, TARGETs and --bundle: shared by the
// console and `check`, so both read the same flags the same way.

package main

import (
	"errors"
	"fmt"
	"io/fs"

	"certdeck/model"
)

// fleetInputs are the command-line parts of a fleet.
type fleetInputs struct {
	targets []string // TARGET arguments
	ca, sni string   // --ca, --sni: for the TARGETs, or every endpoint when none is given
}

// buildFleet reads the configured fleet (nil when there is none), adds
// the TARGETs with --ca/--sni, and the --bundle paths with --layout and
// --ca. path is the config file tried ("" when none could be located).
func buildFleet(g *globalFlags, in fleetInputs) (fleet *model.Fleet, path string, err error) {
	adHoc := len(in.targets) > 0 || len(g.bundles) > 0
	fleet, path, err = loadConfiguredFleet(g, adHoc)
	if err != nil {
		return nil, path, err
	}
	haveConfig := fleet != nil
	configured := 0
	if haveConfig {
		configured = len(fleet.Endpoints)
	}
	if fleet, err = model.FleetFromTargets(in.targets, fleet); err != nil {
		return nil, path, err
	}
	if err := model.CheckTrustFile(in.ca); err != nil {
		return nil, path, fmt.Errorf("--ca: %w", err)
	}
	first := 0
	if len(in.targets) > 0 {
		first = configured
	}
	for i := first; i < len(fleet.Endpoints); i++ {
		ep := &fleet.Endpoints[i]
		if in.ca != "" {
			ep.CAFile = in.ca
		}
		if in.sni != "" {
			ep.SNI = in.sni
		}
	}
	// Ad-hoc bundles take --ca as their extra trust roots, as targets do.
	if fleet, err = model.FleetWithBundlePaths(fleet, g.bundles, g.layout, in.ca); err != nil {
		return nil, path, err
	}
	if !haveConfig && !adHoc {
		return nil, path, nil
	}
	return fleet, path, nil
}

// loadConfiguredFleet reads the config the flags and environment point at.
// A missing default config is not an error (fleet is nil); a missing file
// the user named is. When the default cannot even be located ($HOME unset)
// that is an error unless TARGETs or bundles were given (adHoc): certdeck
// never falls back to a config relative to the working directory.
func loadConfiguredFleet(g *globalFlags, adHoc bool) (fleet *model.Fleet, path string, err error) {
	path, explicit, err := model.ConfigPath(g.config)
	if err != nil {
		if adHoc {
			return nil, "", nil
		}
		return nil, "", fmt.Errorf("no config: %w, or pass --config FILE", err)
	}
	fleet, err = model.LoadFleet(path)
	if err != nil && !explicit && errors.Is(err, fs.ErrNotExist) {
		return nil, path, nil
	}
	return fleet, path, err
}
