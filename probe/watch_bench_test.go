package probe

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
)

// BenchmarkSwapToEvent measures what an operator waits for: from the
// rename(2) that swaps a store's `current` to the watcher delivering the
// new version's snapshot on the events channel (debounce included). Each
// iteration is one swap; run with -benchtime=200x for the figure in the
// README. Reports median and p99 latency in ms (goal: p99 ≤ 200 ms).
func BenchmarkSwapToEvent(b *testing.B) {
	ca := pki.Must(pki.NewCA("Bench Root"))
	dir := filepath.Join(b.TempDir(), "store", "web")
	// Two versions alternate: each swap is a real change of serial.
	v1 := writeStoreVersion(b, dir, 1, pki.Must(ca.Issue(pki.Options{DNSNames: []string{"a.test"}})))
	v2 := writeStoreVersion(b, dir, 2, pki.Must(ca.Issue(pki.Options{DNSNames: []string{"a.test"}})))
	swapCurrent(b, dir, v1)
	bundle := model.Bundle{Name: "web", Path: dir, Layout: "store"}

	events := make(chan model.Event, 16)
	w, err := NewWatcher([]model.Bundle{bundle}, events, WatchOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitSnapshot(b, events, func(s *model.BundleSnapshot) bool { return s.Version == v1 })

	lat := make([]time.Duration, 0, b.N)
	cur := v1
	b.ResetTimer()
	for range b.N {
		next := v2
		if cur == v2 {
			next = v1
		}
		start := time.Now()
		swapCurrent(b, dir, next)
		waitSnapshot(b, events, func(s *model.BundleSnapshot) bool { return s.Version == next })
		lat = append(lat, time.Since(start))
		cur = next
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "median-ms")
	b.ReportMetric(ms(lat[(len(lat)*99+99)/100-1]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}
