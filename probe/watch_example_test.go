package probe_test

import (
	"context"
	"fmt"
	"time"

	"certdeck/model"
	"certdeck/probe"
)

// The console's wiring: one events channel shared by the scheduler and
// the bundle watcher; the UI drains it and folds batches into State.
func ExampleNewWatcher() {
	fleet := &model.Fleet{Bundles: []model.Bundle{{Name: "web", Path: "/etc/letsencrypt/live/web", Layout: "auto"}}}
	events := make(chan model.Event, 256)
	w, err := probe.NewWatcher(fleet.Bundles, events, probe.WatchOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }() // Run returns with every goroutine stopped

	state := model.NewState(fleet)
	state.Apply(time.Now(), []model.Event{<-events})
	bs := state.Bundle("web")
	fmt.Println(bs.Verdict.Status, bs.Verdict.Reasons[0])
	// Output: ERROR /etc/letsencrypt/live/web does not exist (yet)
}

// `certdeck check`: read every bundle once, apply after the probe round so
// drift sees the served serials, then render each BundleState.Report.
func ExampleReadBundles() {
	fleet, _ := model.FleetWithBundlePaths(nil, []string{"/nonexistent/web.pem"}, "", "")
	state := model.NewState(fleet)
	now := time.Now()
	// state.Apply(now, observationsAsEvents) would come first.
	state.Apply(now, probe.BundleEvents(fleet.Bundles, now))
	for _, bs := range state.Bundles() {
		r := bs.Report(now)
		fmt.Println(r.Name, r.Status, r.Reasons[0])
	}
	fmt.Println("exit-relevant worst:", state.Worst())
	// Output:
	// web.pem ERROR /nonexistent/web.pem does not exist (yet)
	// exit-relevant worst: ERROR
}
