package ui

import (
	"fmt"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/rotate"
	"certdeck/themes"

	tea "charm.land/bubbletea/v2"
)

// bigFleet is n endpoints, each with one observation ready to apply.
func bigFleet(tb testing.TB, n int) (*model.Fleet, []model.Event) {
	tb.Helper()
	cfg := &model.Config{Name: "big"}
	var events []model.Event
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("host%05d.example.com", i)
		cfg.Endpoints = append(cfg.Endpoints, model.EndpointConfig{Name: name, Address: fmt.Sprintf("10.%d.%d.%d:443", i>>16&255, i>>8&255, i&255), SNI: name, Group: fmt.Sprintf("g%d", i%7)})
		left := time.Duration(i%120-5) * 24 * time.Hour
		events = append(events, obs(name, cert(name, fmt.Sprintf("%032x", i), left)))
	}
	f, err := cfg.Resolve()
	if err != nil {
		tb.Fatal(err)
	}
	return f, events
}

func newBigModel(tb testing.TB, n, w, h int) (*Model, []model.Event) {
	tb.Helper()
	f, events := bigFleet(tb, n)
	theme, _ := themes.Builtin(themes.Dark)
	m := New(Options{Fleet: f, Theme: theme, ThemeDecided: true, Clock: func() time.Time { return fixedNow }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(eventsMsg{events: events})
	return m, events
}

// BenchmarkView: one frame of a 10,000-endpoint fleet at 200x50. Only the
// visible rows are rendered, so this must not grow with the fleet.
func BenchmarkView(b *testing.B) {
	m, _ := newBigModel(b, 10_000, 200, 50)
	press(m, "G") // bottom of the table: no shortcut for the first rows
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkViewMarkedWhileVerifying is BenchmarkView with every third
// row on screen marked and a reload verifying every endpoint (the mark
// column and the rows' progress are map lookups per visible row).
func BenchmarkViewMarkedWhileVerifying(b *testing.B) {
	m, _ := newBigModel(b, 10_000, 200, 50)
	press(m, "G")
	for range 25 {
		press(m, "space", "k", "k")
	}
	r := rotate.Running{Kind: rotate.KindReload, Subject: "big", Started: fixedNow, Done: 120, Total: 10_000}
	for _, es := range m.state.Endpoints() {
		r.Claims = append(r.Claims, rotate.EndpointClaim(es.Endpoint.Name))
	}
	m.ctx.Actions.set([]rotate.Running{r}, func(string) *backLeg { return nil })
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkViewDetail is the same frame with the detail pane open.
func BenchmarkViewDetail(b *testing.B) {
	m, _ := newBigModel(b, 10_000, 200, 50)
	press(m, "enter")
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkApply: model.State.Apply of 1,000 probe observations.
func BenchmarkApply(b *testing.B) {
	f, events := bigFleet(b, 1000)
	s := model.NewState(f)
	s.Apply(fixedNow, events)
	b.ReportAllocs()
	for b.Loop() {
		s.Apply(fixedNow, events)
	}
}

// BenchmarkUpdateBatch: what the console does with a batch of 1,000
// observations: Apply, event ring, in-flight count, re-filter and re-sort.
func BenchmarkUpdateBatch(b *testing.B) {
	m, events := newBigModel(b, 1000, 200, 50)
	msg := eventsMsg{events: events}
	b.ReportAllocs()
	for b.Loop() {
		m.Update(msg)
	}
}

// BenchmarkUpdateBatch10k: a batch of 1,000 observations into a fleet of
// 10,000 (the re-sort covers the whole fleet).
func BenchmarkUpdateBatch10k(b *testing.B) {
	m, events := newBigModel(b, 10_000, 200, 50)
	msg := eventsMsg{events: events[:1000]}
	b.ReportAllocs()
	for b.Loop() {
		m.Update(msg)
	}
}

// BenchmarkApplyWithBundles: State.Apply of 10,000 probe observations into
// a fleet of 10,000 endpoints, with no bundles and with 2,000 bundles that
// serve 5 endpoints each. Each observation re-judges drift of the bundles
// serving that endpoint; the cost must track those bundles, not the number
// of bundles in the fleet (goal: ≤ 50 ms per batch with bundles).
func BenchmarkApplyWithBundles(b *testing.B) {
	for _, bundles := range []int{0, 2_000} {
		b.Run(fmt.Sprintf("bundles=%d", bundles), func(b *testing.B) {
			f, events := bigFleet(b, 10_000)
			for i := range bundles {
				var serves []string
				for j := range 5 {
					serves = append(serves, f.Endpoints[i*5+j].Name)
				}
				f.Bundles = append(f.Bundles, model.Bundle{Name: fmt.Sprintf("bundle%04d", i), Path: fmt.Sprintf("/srv/b%04d", i),
					Layout: model.LayoutStore, Serves: serves, Thresholds: f.Thresholds})
			}
			s := model.NewState(f)
			s.Apply(fixedNow, events)
			b.ReportAllocs()
			for b.Loop() {
				s.Apply(fixedNow, events)
			}
		})
	}
}

// BenchmarkFilterKeystroke: one key typed into the filter of a
// 10,000-endpoint console (alternately a letter and backspace, so the
// filter keeps narrowing and widening): the whole Update, re-filtering and
// re-sorting included. Goal: ≤ 5 ms.
func BenchmarkFilterKeystroke(b *testing.B) {
	m, _ := newBigModel(b, 10_000, 200, 50)
	press(m, "/")
	for _, r := range "host0" {
		press(m, string(r))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			press(m, "7")
		} else {
			press(m, "backspace")
		}
		i++
	}
}

// BenchmarkSortKeystroke: `s` on a 10,000-endpoint console, a full re-sort
// by the next column each time.
func BenchmarkSortKeystroke(b *testing.B) {
	m, _ := newBigModel(b, 10_000, 200, 50)
	b.ReportAllocs()
	for b.Loop() {
		press(m, "s")
	}
}
