package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
	"certdeck/rotate"
)

// TestNginxPoolRotatesInThreePhases: three nginx instances load one key
// dir. The third one's reload fails, so phase 1 cannot confirm it and
// phase 2 is refused: nothing is rotated, every member keeps encrypting
// with the current key. Once its reload works, phase 1 reloads only it,
// phase 2 promotes the next key and reloads all three, and each is seen
// encrypting with it; a ticket issued by one member resumes on another
// across the rotation. The old key is dropped only by a rotation after
// ticket_lifetime (refused before), and then its tickets stop resuming.
func TestNginxPoolRotatesInThreePhases(t *testing.T) {
	probetest.RequireBinary(t, "nginx")
	fx := newFixture(t)
	d := initKeyDir(t, model.TicketNginx80, 80)
	clock := &poolClock{t: time.Now()}
	d.Clock = clock.now
	var files []string
	for _, r := range model.TicketRoles {
		files = append(files, filepath.Join(d.Dir, model.TicketKeyFile(r)))
	}
	site := probetest.NginxSite{FullchainPEM: fx.leaf.FullchainPEM(), KeyPEM: fx.leaf.KeyPEM(), TicketKeyFiles: files}
	var servers []*probetest.Nginx
	var eps []model.Endpoint
	pool := &rotate.TicketPool{Name: "edge-tickets", Dir: d, TicketLifetime: 5 * time.Minute, VerifyTimeout: 15 * time.Second}
	for i := range 3 {
		ngx := probetest.StartNginx(t, site)
		servers = append(servers, ngx)
		name := fmt.Sprintf("edge-%d", i+1)
		eps = append(eps, endpoint(t, name, ngx.Servers[0].Addr, "svc.test", fx.caFile))
		argv := ngx.ReloadArgv()
		if i == 2 { // edge-3's reload names a config that is not there
			argv[4] = filepath.Join(t.TempDir(), "missing.conf")
		}
		pool.Members = append(pool.Members, rotate.TicketPoolMember{Endpoint: name, Reload: execReload(t, name, argv)})
	}
	pool.Probe = func(ctx context.Context, ep string) (string, error) {
		for _, e := range eps {
			if e.Name == ep {
				o := ProbeEndpoint(ctx, e, probeOpts())
				if o.Failed() {
					return "", errors.New(o.Error)
				}
				return o.Ticket.KeyName, nil
			}
		}
		return "", fmt.Errorf("no endpoint %s", ep)
	}
	roots := x509.NewCertPool()
	roots.AddCert(fx.ca.Cert)
	before := keySet(t, d)
	ticketFrom := func(i int) *tls.ClientSessionState {
		t.Helper()
		dl, err := probetest.DialTicket(eps[i].Target.Addr(), "svc.test", roots, tls.VersionTLS13, nil)
		if err != nil || dl.Session == nil {
			t.Fatalf("edge-%d: no ticket: %v", i+1, err)
		}
		return dl.Session
	}
	resumesOn := func(i int, s *tls.ClientSessionState) bool {
		t.Helper()
		dl, err := probetest.DialTicket(eps[i].Target.Addr(), "svc.test", roots, tls.VersionTLS13, s)
		return err == nil && dl.Resumed
	}
	oldTicket := ticketFrom(0)

	var log progressLog
	res, err := pool.Rotate(context.Background(), rotate.PoolOptions{}, log.add)
	var r *rotate.Refusal
	if !errors.As(err, &r) || r.Reason != rotate.ReasonPoolUnconfirmed || !strings.Contains(err.Error(), "edge-3") {
		t.Fatalf("rotation with edge-3's reload failing: %v", err)
	}
	if res.Phase1[0].State != rotate.MemberConfirmed || res.Phase1[1].State != rotate.MemberConfirmed || res.Phase1[2].State != rotate.MemberFailed {
		t.Fatalf("phase 1: %+v", res.Phase1)
	}
	if now := keySet(t, d); !now.Current.SameKey(before.Current) {
		t.Fatal("a refused phase 2 rotated the dir")
	}
	for i, e := range eps {
		if o := ProbeEndpoint(context.Background(), e, probeOpts()); o.Ticket.KeyName != before.Current.Name() {
			t.Fatalf("edge-%d encrypts with %s after the refusal, want %s", i+1, o.Ticket.KeyName, before.Current.Name())
		}
	}
	t.Logf("phase 1 with edge-3's reload failing:\n%s=> %s", log.String(), res.Refused)

	// edge-3's reload fixed.
	argv := servers[2].ReloadArgv()
	pool.Members[2].Reload = execReload(t, "edge-3", argv)
	log = progressLog{}
	res, err = pool.Rotate(context.Background(), rotate.PoolOptions{}, log.add)
	if err != nil {
		t.Fatalf("rotation after the fix: %v\n%s", err, log.String())
	}
	if res.Phase1[0].How != "already confirmed" || res.Phase1[2].How != "reload edge-3" || res.Phase1[2].State != rotate.MemberConfirmed {
		t.Fatalf("phase 1: %+v", res.Phase1)
	}
	for _, m := range res.Phase2 {
		if m.State != rotate.MemberVerified || m.Encrypts != before.Next.Name() {
			t.Fatalf("phase 2 %s: %+v", m.Endpoint, m)
		}
	}
	t.Logf("phases 1 and 2 after the fix:\n%s", log.String())
	if !resumesOn(2, oldTicket) {
		t.Fatal("a ticket edge-1 issued before the rotation does not resume on edge-3")
	}
	if !resumesOn(1, ticketFrom(2)) {
		t.Fatal("a ticket edge-3 issued after the rotation does not resume on edge-2")
	}

	// Phase 3: the old key stays until ticket_lifetime has passed.
	_, err = pool.Rotate(context.Background(), rotate.PoolOptions{}, nil)
	if !errors.As(err, &r) || r.Reason != rotate.ReasonPreviousInUse {
		t.Fatalf("a rotation right after the last: %v", err)
	}
	clock.advance(6 * time.Minute)
	if _, err := pool.Rotate(context.Background(), rotate.PoolOptions{}, nil); err != nil {
		t.Fatalf("a rotation after ticket_lifetime: %v", err)
	}
	for i := range eps {
		if resumesOn(i, oldTicket) {
			t.Fatalf("edge-%d still resumes a ticket of the dropped key %s", i+1, model.ShortKeyName(before.Current.Name()))
		}
	}
}

func execReload(t *testing.T, name string, argv []string) rotate.Reload {
	t.Helper()
	r, err := rotate.NewReload(model.Reload{Name: name, Kind: model.ReloadExec, Exec: argv, Timeout: 10 * time.Second}, rotate.ReloadEnv{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type poolClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *poolClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *poolClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// progressLog keeps a pool rotation's progress lines, as the CLI prints
// them.
type progressLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *progressLog) add(p rotate.PoolProgress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("  phase %d  %-7s %-9s %s", p.Phase, p.Endpoint, p.State, p.Message))
}

func (l *progressLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n") + "\n"
}

// TestHAProxyPoolConfirmsWithShowTLSKeys: two HAProxy processes on one
// tls-ticket-keys file, driven over their runtime APIs. One was handed
// another key at runtime, so show tls-keys does not list the dir's next
// key there: phase 1 cannot confirm it and phase 2 is refused. Reloaded
// (it reads the file again), it confirms, and phase 2 promotes the key in
// both with set ssl tls-key, no reload, each seen encrypting with it.
func TestHAProxyPoolConfirmsWithShowTLSKeys(t *testing.T) {
	probetest.RequireBinary(t, "haproxy")
	fx := newFixture(t)
	d := initKeyDir(t, model.TicketHAProxy, 80)
	keys := filepath.Join(d.Dir, model.HAProxyTicketFile)
	site := probetest.HAProxySite{FullchainPEM: fx.leaf.FullchainPEM(), KeyPEM: fx.leaf.KeyPEM(), TicketKeysFile: keys}
	pool := &rotate.TicketPool{Name: "hk", Dir: d, TicketLifetime: 5 * time.Minute, VerifyTimeout: 10 * time.Second}
	var haps []*probetest.HAProxy
	eps := map[string]model.Endpoint{}
	for i := range 2 {
		h := probetest.StartHAProxyWith(t, probetest.HAProxyOptions{MasterWorker: true}, site)
		haps = append(haps, h)
		name := fmt.Sprintf("hk-%d", i+1)
		eps[name] = endpoint(t, name, h.Servers[0].Addr, "svc.test", fx.caFile)
		pool.Members = append(pool.Members, rotate.TicketPoolMember{Endpoint: name,
			Runtime: &rotate.HAProxyTicketAPI{Socket: h.Socket, Ref: keys}})
	}
	pool.Probe = func(ctx context.Context, ep string) (string, error) {
		o := ProbeEndpoint(ctx, eps[ep], probeOpts())
		if o.Failed() {
			return "", errors.New(o.Error)
		}
		return o.Ticket.KeyName, nil
	}
	// hk-2 is handed a key of its own at runtime.
	stray := initKeyDir(t, model.TicketHAProxy, 80)
	if err := pool.Members[1].Runtime.Push(context.Background(), keySet(t, stray).Next); err != nil {
		t.Fatal(err)
	}
	before := keySet(t, d)
	_, err := pool.Rotate(context.Background(), rotate.PoolOptions{}, nil)
	var r *rotate.Refusal
	if !errors.As(err, &r) || r.Reason != rotate.ReasonPoolUnconfirmed || !strings.Contains(err.Error(), "hk-2 (show tls-keys lists") {
		t.Fatalf("hk-2 without the next key: %v", err)
	}
	if !keySet(t, d).Current.SameKey(before.Current) {
		t.Fatal("a refused phase 2 rotated the file")
	}
	// A master that has only just started may miss the first SIGUSR2:
	// ask again until the new worker serves the file's keys.
	deadline := time.Now().Add(15 * time.Second)
	for {
		if err := haps[1].Reload(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if o := ProbeEndpoint(context.Background(), eps["hk-2"], probeOpts()); o.Ticket.KeyName == before.Current.Name() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("hk-2 never reloaded the file")
		}
	}
	res, err := pool.Rotate(context.Background(), rotate.PoolOptions{}, nil)
	if err != nil {
		t.Fatalf("rotation after hk-2 reloaded the file: %v", err)
	}
	for _, m := range res.Phase2 {
		if m.How != "set ssl tls-key" || m.State != rotate.MemberVerified || m.Encrypts != before.Next.Name() {
			t.Fatalf("phase 2 %s: %+v", m.Endpoint, m)
		}
	}
	t.Logf("HAProxy pool: phase 1 by show tls-keys, phase 2 by set ssl tls-key; both encrypt with %s", model.ShortKeyName(before.Next.Name()))
}
