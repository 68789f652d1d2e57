// Package ui is the certdeck console: a Bubble Tea v2 program over the
// fleet state. It owns view state only (cursor, filter, sort, panes, the
// event ring); what is known about the fleet lives in model.State and
// changes only through State.Apply, fed by one batching relay from the
// probe engine's event channel.
//
// Layout of the package: model.go is the root model and routes by mode
// (normal, filter, help, detail, events, confirm) to one small handler per mode in
// keys_dispatch.go; the fleet table (fleet.go), the Bundles tab
// (bundles.go, shown when bundles are configured), header, detail pane and
// event pane each render themselves from the shared Context. Publish and
// rollback of store bundles (bundle_actions.go) go through a "(y/N)"
// dialog; --read-only stops them in handleKey, the one dispatch point. Update never blocks and never
// does I/O: probes run in the probe package's goroutines, and actions that
// touch the outside world run in tea.Cmds.
package ui
