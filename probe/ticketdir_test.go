package probe

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
	"certdeck/rotate"
)

func newKeyDir(t *testing.T, f model.TicketFormat) *rotate.TicketDir {
	t.Helper()
	d := &rotate.TicketDir{Dir: filepath.Join(t.TempDir(), "keys"), Format: f}
	if _, err := d.Init(context.Background(), rotate.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTicketDirWatcherSendsEachRotationOnce(t *testing.T) {
	d := newKeyDir(t, model.TicketNginx80)
	tk := model.TicketKeys{Name: "edge", Dir: d.Dir, Format: d.Format, RotateEvery: time.Hour}
	events := make(chan model.Event, 16)
	w, err := NewTicketDirWatcher([]model.TicketKeys{tk}, events, TicketDirWatchOptions{Rescan: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	next := func() *model.TicketDirSnapshot {
		t.Helper()
		select {
		case ev := <-events:
			return ev.(*model.TicketDirSnapshot)
		case <-time.After(5 * time.Second):
			t.Fatal("no snapshot")
			return nil
		}
	}
	first := next()
	before, _ := first.Facts.Key(model.RoleNext)
	if _, err := d.Rotate(context.Background(), rotate.RotateOptions{}); err != nil {
		t.Fatal(err)
	}
	snap := next()
	if cur, _ := snap.Facts.Key(model.RoleCurrent); cur.Name != before.Name {
		t.Fatalf("after the rotation the snapshot says current %s, want %s", cur.Name, before.Name)
	}
	select {
	case ev := <-events:
		t.Fatalf("a second snapshot for one rotation: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestCheckJudgesAPoolOfGoServersOnKeyFiles: three Go servers issuing
// key-named tickets through rotate.TicketKeys, two on the pool's key dir
// and one on a stale copy; `check` shows the odd one, and with the ticket
// history a name that outlives rotate_every is noticed across runs.
func TestCheckJudgesAPoolOfGoServersOnKeyFiles(t *testing.T) {
	fx := newFixture(t)
	pool := newKeyDir(t, model.TicketNginx80)
	stale := newKeyDir(t, model.TicketNginx80)
	serve := func(d *rotate.TicketDir) string {
		tk, err := rotate.NewTicketKeys(d.Dir, d.Format, rotate.TicketKeysOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tk.Close() })
		cfg := probetest.Config(fx.leaf.TLSCertificate())
		tk.Install(cfg)
		return probetest.StartTLSServer(t, cfg).Addr
	}
	fleet := &model.Fleet{Timeout: testTimeout, Concurrency: 4}
	for i, d := range []*rotate.TicketDir{pool, pool, stale} {
		fleet.Endpoints = append(fleet.Endpoints, endpoint(t, []string{"pool-1", "pool-2", "pool-3"}[i], serve(d), "svc.test", fx.caFile))
	}
	fleet.TicketKeys = []model.TicketKeys{{Name: "pool-tickets", Dir: pool.Dir, Format: pool.Format,
		RotateEvery: 12 * time.Hour, TicketLifetime: 5 * time.Minute, Serves: []string{"pool-1", "pool-2", "pool-3"}}}

	history, err := OpenTicketHistory(filepath.Join(t.TempDir(), TicketHistoryName))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	state, _ := Check(context.Background(), fleet, CheckOptions{TicketHistory: history, Probe: ProbeOptions{Clock: func() time.Time { return t0 }}})
	if v := state.Endpoint("pool-3").Verdict; v.Status != model.Warn || !strings.Contains(strings.Join(v.Reasons, ";"), "encrypts with a key not in pool-tickets") {
		t.Fatalf("pool-3: %s %q", v.Status, v.Reasons)
	}
	for _, ep := range []string{"pool-1", "pool-2"} {
		if v := state.Endpoint(ep).Verdict; v.Status != model.OK {
			t.Fatalf("%s: %s %q", ep, v.Status, v.Reasons)
		}
	}
	ts := state.TicketKey("pool-tickets")
	if ts.SyncLabel() != "2/3" || !strings.Contains(strings.Join(ts.Verdict.Reasons, ";"), "pool-3 encrypts with a key not in pool-tickets") {
		t.Fatalf("pool-tickets: %s %q", ts.SyncLabel(), ts.Verdict.Reasons)
	}
	if history.Err() != nil {
		t.Fatal(history.Err())
	}

	// The next day's check, same keys: seen since yesterday's run, longer
	// than rotate_every.
	later := t0.Add(13 * time.Hour)
	state, _ = Check(context.Background(), fleet, CheckOptions{TicketHistory: history, Probe: ProbeOptions{Clock: func() time.Time { return later }}})
	if v := state.Endpoint("pool-1").Verdict; v.Status != model.Warn || !strings.Contains(strings.Join(v.Reasons, ";"), "longer than rotate_every 12h") {
		t.Fatalf("pool-1 13h later: %s %q", v.Status, v.Reasons)
	}
}
