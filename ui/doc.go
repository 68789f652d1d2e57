// Package ui is the certdeck console: a Bubble Tea v2 program over the
// fleet state. It owns view state only (cursor, filter, sort, panes, the
// event ring); what is known about the fleet lives in model.State and
// changes only through State.Apply, fed by one batching relay from the
// probe engine's event channel.
//
// Layout of the package: model.go is the root model; keys_dispatch.go
// routes by mode (normal, filter, help, detail, events, confirm) to one
// small handler per mode. Each tab is a Section (section.go) that owns its
// keys, size, filter, sort, detail and help; the Fleet tab (fleet.go,
// fleet_columns.go, detail.go) and the Bundles tab (bundles.go,
// bundle_detail.go, shown when bundles are configured) share one table
// (table.go, table_view.go), and a new tab is one line in New. The root
// draws the chrome: header, tabs, footer and help (help.go), the detail
// pane around a section's lines (detail_pane.go) and the event log.
// Publish and rollback of store bundles (bundle_actions.go) go through a
// "(y/N)" dialog; --read-only stops them in handleKey, the one dispatch
// point. The actions started with y are tracked until their outcome
// lands (launch.go), so q asks before abandoning one (quit.go) and Run
// hands what a quit cancelled back to the CLI. Update never blocks and never does I/O: probes run in the probe
// package's goroutines, and actions that touch the outside world run in
// tea.Cmds. View reads and never writes.
package ui
