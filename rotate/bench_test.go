package rotate

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkPublish measures a whole publish including every fsync, the
// re-read and retention; it reports the median and p99 latency per publish
// (goal: p99 ≤ 20 ms on the target disk).
func BenchmarkPublish(b *testing.B) {
	pairs := mintPairs(b, 4)
	s := newTestStore(b)
	s.AuditLog = "-"
	ins := make([]Inputs, len(pairs))
	for i, p := range pairs {
		ins[i] = inputsFor(p)
	}
	mustPublish(b, s, "bench", ins[0])
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := s.Publish(b.Context(), "bench", ins[(i+1)%len(ins)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkOpen measures rotate.Open (resolve current, open the version
// directory) and Close.
func BenchmarkOpen(b *testing.B) {
	s := newTestStore(b)
	mustPublish(b, s, "bench", inputsFor(issue(b, "bench.example.test")))
	dir := s.BundleDir("bench")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		v.Close()
	}
}

// BenchmarkOpenReadPair is what a server or the bundle watcher does per
// load: Open, read fullchain.pem and privkey.pem, Close.
func BenchmarkOpenReadPair(b *testing.B) {
	s := newTestStore(b)
	mustPublish(b, s, "bench", inputsFor(issue(b, "bench.example.test")))
	dir := s.BundleDir("bench")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.ReadFile(FullchainFile); err != nil {
			b.Fatal(err)
		}
		if _, err := v.ReadFile(KeyFile); err != nil {
			b.Fatal(err)
		}
		v.Close()
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "median-ms")
	b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99-ms")
}
