package rotate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/model"
)

// memberReload is a member's reload that succeeds or fails on demand and
// counts its runs; on success the member "loads" the dir: the fake
// server then encrypts with the dir's current key.
type memberReload struct {
	name   string
	dir    *TicketDir
	mu     sync.Mutex
	fail   bool
	runs   int
	loaded string // the current key the member encrypts with
}

func (f *memberReload) Name() string { return f.name }
func (f *memberReload) Steps() []Step {
	return []Step{{Kind: "exec", Target: f.name, Detail: "reload " + f.name}}
}
func (f *memberReload) Run(context.Context) ReloadResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs++
	if f.fail {
		return ReloadResult{Err: errors.New("nginx: [error] open() \"/run/nginx.pid\" failed"), ExitCode: 1}
	}
	set, _ := LoadTicketDir(f.dir.Dir, f.dir.Format, time.Now())
	f.loaded = set.Current.Name()
	return ReloadResult{}
}

func (f *memberReload) state() (runs int, loaded string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs, f.loaded
}

func newFakePool(t *testing.T) (*TicketPool, []*memberReload, *ticketClock) {
	t.Helper()
	d, clk := newTicketDir(t, model.TicketNginx80)
	mustInit(t, d)
	p := &TicketPool{Name: "edge-tickets", Dir: d, TicketLifetime: 5 * time.Minute, VerifyTimeout: time.Second}
	var reloads []*memberReload
	for _, ep := range []string{"edge-1", "edge-2", "edge-3"} {
		r := &memberReload{name: ep + "-reload", dir: d}
		reloads = append(reloads, r)
		p.Members = append(p.Members, TicketPoolMember{Endpoint: ep, Reload: r})
	}
	p.Probe = func(_ context.Context, ep string) (string, error) {
		for i, m := range p.Members {
			if m.Endpoint == ep {
				_, loaded := reloads[i].state()
				return loaded, nil
			}
		}
		return "", errors.New("no such member")
	}
	return p, reloads, clk
}

func TestPoolPhaseTwoIsRefusedWhileAMemberHasNotConfirmedPhaseOne(t *testing.T) {
	p, reloads, _ := newFakePool(t)
	reloads[2].fail = true
	before := snapshotKeys(t, p.Dir)
	var seen []PoolProgress
	res, err := p.Rotate(context.Background(), PoolOptions{}, func(pr PoolProgress) { seen = append(seen, pr) })
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != ReasonPoolUnconfirmed || !strings.Contains(err.Error(), "edge-3 (nginx: [error] open()") {
		t.Fatalf("rotate: %v", err)
	}
	if res.Phase1[0].State != MemberConfirmed || res.Phase1[1].State != MemberConfirmed || res.Phase1[2].State != MemberFailed {
		t.Fatalf("phase 1 = %+v", res.Phase1)
	}
	if res.Rotation != nil || len(res.Phase2) != 0 {
		t.Fatal("phase 2 ran")
	}
	if !before.sameAs(snapshotKeys(t, p.Dir)) {
		t.Fatal("a refused phase 2 rotated the keys")
	}
	if len(seen) == 0 || seen[len(seen)-1].Endpoint != "edge-3" || seen[len(seen)-1].State != MemberFailed {
		t.Fatalf("progress %+v: the CLI must see each member's result", seen)
	}

	// Fixed: phase 1 reloads only edge-3 (the others confirmed last time),
	// then phase 2 promotes the next key everywhere.
	reloads[2].fail = false
	res, err = p.Rotate(context.Background(), PoolOptions{}, nil)
	if err != nil {
		t.Fatalf("rotate after the fix: %v", err)
	}
	if res.Phase1[0].How != "already confirmed" || res.Phase1[2].How != "reload edge-3-reload" {
		t.Fatalf("phase 1 = %+v", res.Phase1)
	}
	for i, r := range reloads {
		runs, loaded := r.state()
		want := []int{2, 2, 3}[i] // edge-1/2: phase 1 once, phase 2 once; edge-3: twice in phase 1, once in phase 2
		if runs != want || loaded != before.next {
			t.Errorf("edge-%d: %d reloads, encrypts with %s; want %d and the former next key %s", i+1, runs, loaded, want, before.next)
		}
	}
	if !res.OK() {
		t.Fatalf("result not OK: %+v", res.Phase2)
	}
	for _, m := range res.Phase2 {
		if m.State != MemberVerified || m.Encrypts != before.next {
			t.Errorf("phase 2 %s: %+v", m.Endpoint, m)
		}
	}
}

// keyNames is the dir's current and next names.
type keyNames struct{ current, next, previous string }

func (a keyNames) sameAs(b keyNames) bool { return a == b }

func snapshotKeys(t *testing.T, d *TicketDir) keyNames {
	t.Helper()
	set, _ := loadSet(t, d)
	return keyNames{set.Current.Name(), set.Next.Name(), set.Previous.Name()}
}

func TestPoolDropsTheOldKeyOnlyAfterTheTicketLifetime(t *testing.T) {
	p, _, clk := newFakePool(t)
	if _, err := p.Rotate(context.Background(), PoolOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)
	_, err := p.Rotate(context.Background(), PoolOptions{}, nil)
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != ReasonPreviousInUse {
		t.Fatalf("a second rotation a minute later (tickets live 5m): %v", err)
	}
	clk.advance(5 * time.Minute)
	if _, err := p.Rotate(context.Background(), PoolOptions{}, nil); err != nil {
		t.Fatalf("after the ticket lifetime: %v", err)
	}
}

func TestPoolMemberWhoseSecondPhaseFailedIsReloadedFirstNextTime(t *testing.T) {
	p, reloads, clk := newFakePool(t)
	mustPool := func() *PoolResult {
		t.Helper()
		res, err := p.Rotate(context.Background(), PoolOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	mustPool() // every member confirmed
	clk.advance(10 * time.Minute)
	// edge-2's reload breaks between phase 1 (skipped: confirmed) and
	// phase 2.
	reloads[1].fail = true
	res := mustPool()
	if res.Phase2[1].State != MemberFailed || !strings.Contains(res.Phase2[1].Error, "keeps encrypting with the previous key") {
		t.Fatalf("phase 2 edge-2 = %+v", res.Phase2[1])
	}
	if res.OK() {
		t.Fatal("a rotation with a member left behind is not OK")
	}
	clk.advance(10 * time.Minute)
	_, err := p.Rotate(context.Background(), PoolOptions{}, nil)
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != ReasonPoolUnconfirmed || !strings.Contains(err.Error(), "edge-2") {
		t.Fatalf("next rotation with edge-2 still broken: %v", err)
	}
	reloads[1].fail = false
	res = mustPool()
	if res.Phase1[1].How != "reload edge-2-reload" || res.Phase1[0].How != "already confirmed" {
		t.Fatalf("phase 1 = %+v", res.Phase1)
	}
}

func TestPoolForceAndDryRun(t *testing.T) {
	p, reloads, _ := newFakePool(t)
	before := snapshotKeys(t, p.Dir)
	res, err := p.Rotate(context.Background(), PoolOptions{DryRun: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reloads {
		if runs, _ := r.state(); runs != 0 {
			t.Fatal("a dry run reloaded a member")
		}
	}
	if !before.sameAs(snapshotKeys(t, p.Dir)) || res.Phase1[0].State != MemberPlanned || res.Phase2[0].State != MemberPlanned {
		t.Fatalf("dry run: %+v", res)
	}
	reloads[0].fail = true
	if _, err := p.Rotate(context.Background(), PoolOptions{Force: true}, nil); err != nil {
		t.Fatalf("--force with an unconfirmed member: %v", err)
	}
	if after := snapshotKeys(t, p.Dir); after.current != before.next {
		t.Fatal("--force did not promote the next key")
	}
}
