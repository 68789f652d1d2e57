package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"certdeck/model"
)

// ticketServers are fake pool members: a reload makes one encrypt with
// the dir's current key, as nginx does after `nginx -s reload`.
type ticketServers struct {
	mu      sync.Mutex
	dir     *TicketDir
	encrypt map[string]string
}

func (s *ticketServers) ServedSerial(context.Context, string) (string, error) {
	return "", errors.New("not a certificate test")
}

func (s *ticketServers) ServedTicketKey(_ context.Context, ep string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.encrypt[ep], nil
}

func (s *ticketServers) reload(eps ...string) func(context.Context) ReloadResult {
	return func(context.Context) ReloadResult {
		set, _ := LoadTicketDir(s.dir.Dir, s.dir.Format, time.Now())
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, ep := range eps {
			s.encrypt[ep] = set.Current.Name()
		}
		return ReloadResult{}
	}
}

// ticketEngine is an engine over a fleet whose ticket_keys entry serves
// edge-1 and edge-2, both reloaded by one reload "edge"; block, when set,
// holds that reload until it is closed.
func ticketEngine(t *testing.T, readOnly bool, block chan struct{}) (*Engine, *ticketServers, string, *int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	d := &TicketDir{Dir: dir, Format: model.TicketNginx80}
	mustInit(t, d)
	cfg := `reloads:
  - {name: edge, exec: [/bin/true]}
endpoints:
  - {name: edge-1, address: 127.0.0.1:1, reload: edge}
  - {name: edge-2, address: 127.0.0.1:2}
ticket_keys:
  - {name: edge-tickets, dir: ` + dir + `, format: nginx80, rotate_every: 12h, ticket_lifetime: 5m, serves: [edge-1, edge-2], reload: edge}
`
	fleet, err := model.ParseFleet([]byte(cfg), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	servers := &ticketServers{dir: d, encrypt: map[string]string{}}
	runs := new(int)
	audit := filepath.Join(t.TempDir(), "audit.log")
	e := NewEngine(EngineOptions{Fleet: fleet, ReadOnly: readOnly, Verifier: servers, VerifyTimeout: time.Second, Store: StoreOptions{AuditLog: audit},
		MakeReload: func(r model.Reload, _ func(context.Context) ([]byte, error)) (Reload, error) {
			run := servers.reload("edge-1", "edge-2")
			return &fakeReload{name: r.Name, steps: []Step{{Kind: "exec", Target: "/bin/true", Argv: []string{"/bin/true"}}},
				run: func(ctx context.Context) ReloadResult {
					*runs++
					if block != nil {
						<-block
					}
					return run(ctx)
				}}, nil
		}})
	return e, servers, audit, runs
}

func TestTicketRotateActionPlansRunsVerifiesAndAudits(t *testing.T) {
	e, servers, audit, runs := ticketEngine(t, false, nil)
	a, err := e.RotateTickets(TicketRotateRequest{Name: "edge-tickets"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := a.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Join(plan.Lines(), "\n")
	for _, want := range []string{"ticket-rotate edge-tickets: encrypts with " + model.ShortKeyName(plan.OldSerial) + " → " + model.ShortKeyName(plan.NewSerial),
		"phase 1, edge-1", "phase 2: previous.key ← current.key", "phase 2, edge-2", "verify    edge-1 encrypts with " + model.ShortKeyName(plan.NewSerial)} {
		if !strings.Contains(lines, want) {
			t.Errorf("plan lacks %q:\n%s", want, lines)
		}
	}
	if *runs != 0 {
		t.Fatal("planning reloaded a member")
	}
	var progress []Progress
	out, err := a.Run(context.Background(), func(p Progress) { progress = append(progress, p) })
	if err != nil || !out.OK() {
		t.Fatalf("run: %v %+v", err, out)
	}
	// One reload serves both members: once in phase 1, once in phase 2.
	if *runs != 2 {
		t.Errorf("the shared reload ran %d times, want 2", *runs)
	}
	if len(out.Forward.Verify) != 2 || out.Forward.Verify[0].Serial != plan.NewSerial {
		t.Fatalf("verify %+v", out.Forward.Verify)
	}
	if servers.encrypt["edge-2"] != plan.NewSerial {
		t.Fatal("edge-2 was not reloaded")
	}
	last := progress[len(progress)-1]
	if last.Phase != PhaseVerified || last.Done != 2 || last.Total != 2 {
		t.Errorf("last progress %+v", last)
	}
	data, _ := os.ReadFile(audit)
	if !strings.Contains(string(data), `"action":"ticket-rotate"`) || !strings.Contains(string(data), `"state":"ok"`) || strings.Count(string(data), "\n") != 1 {
		t.Fatalf("audit: %s", data)
	}
}

func TestTicketRotateActionIsRefusedReadOnlyAndWhileBusy(t *testing.T) {
	e, _, _, runs := ticketEngine(t, true, nil)
	a, _ := e.RotateTickets(TicketRotateRequest{Name: "edge-tickets"})
	if _, err := a.Plan(context.Background()); err != nil {
		t.Fatalf("plan under --read-only: %v", err)
	}
	if out, err := a.Run(context.Background(), nil); !errors.Is(err, ErrReadOnly) || out.State != OutcomeRefused || *runs != 0 {
		t.Fatalf("run under --read-only: %v %+v", err, out)
	}

	block := make(chan struct{})
	e, _, _, _ = ticketEngine(t, false, block)
	first, _ := e.RotateTickets(TicketRotateRequest{Name: "edge-tickets"})
	done := make(chan error, 1)
	go func() { _, err := first.Run(context.Background(), nil); done <- err }()
	for len(e.Registry().Snapshot()) == 0 {
		time.Sleep(time.Millisecond)
	}
	second, _ := e.RotateTickets(TicketRotateRequest{Name: "edge-tickets"})
	if _, err := second.Run(context.Background(), nil); !errors.Is(err, ErrBusy) {
		t.Fatalf("a second rotation while the first runs: %v", err)
	}
	if _, held := e.Registry().Holding(TicketClaim("edge-tickets")); !held {
		t.Fatal("the registry does not show the rotation")
	}
	close(block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestTicketRotateActionNamesUnknownEntriesAndHAProxyMismatch(t *testing.T) {
	e, _, _, _ := ticketEngine(t, false, nil)
	if _, err := e.RotateTickets(TicketRotateRequest{Name: "nope"}); err == nil || !strings.Contains(err.Error(), "no ticket_keys entry") {
		t.Fatalf("unknown entry: %v", err)
	}
	cfg := `reloads:
  - {name: lb, haproxy: {socket: /run/haproxy.sock, crt: /etc/haproxy/site.pem}}
endpoints:
  - {name: lb-1, address: 127.0.0.1:1, reload: lb}
ticket_keys:
  - {name: t, dir: /run/t, format: nginx80, serves: [lb-1]}
`
	fleet, err := model.ParseFleet([]byte(cfg), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewEngine(EngineOptions{Fleet: fleet}).RotateTickets(TicketRotateRequest{Name: "t"}); err == nil || !strings.Contains(err.Error(), "HAProxy's runtime API, but /run/t holds nginx80 keys") {
		t.Fatalf("haproxy reload on nginx keys: %v", err)
	}
	// A key dir whose path the runtime API would split at ";" is refused
	// when planning, before any command could reach a socket.
	cfg = strings.Replace(strings.Replace(cfg, "/run/t", `"/run/t;shutdown sessions server be/s1;x"`, 1), "nginx80", "haproxy", 1)
	if fleet, err = model.ParseFleet([]byte(cfg), "t.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEngine(EngineOptions{Fleet: fleet}).RotateTickets(TicketRotateRequest{Name: "t"}); err == nil || !strings.Contains(err.Error(), "the runtime API would misread") {
		t.Fatalf("a key dir with ';' behind a haproxy reload: %v", err)
	}
}

// TestRefusedTicketRotationReloadsNobody: a rotation the ticket_lifetime
// guard refuses is refused before phase 1, so a member that has not
// confirmed the next key is not reloaded (a real exec reload that would
// leave a file behind), and the audit line records the refusal with no
// step and no reload.
func TestRefusedTicketRotationReloadsNobody(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "keys")
	d := &TicketDir{Dir: dir, Format: model.TicketNginx80}
	mustInit(t, d)
	mustRotate(t, d) // the current key took over just now: the previous one still decrypts
	trace := filepath.Join(tmp, "reloaded")
	cfg := `reloads:
  - {name: api-nginx, exec: [/bin/touch, ` + trace + `]}
endpoints:
  - {name: api, address: 127.0.0.1:1, reload: api-nginx}
ticket_keys:
  - {name: tix, dir: ` + dir + `, format: nginx80, ticket_lifetime: 5m, serves: [api]}
`
	fleet, err := model.ParseFleet([]byte(cfg), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	audit := filepath.Join(tmp, "audit.log")
	e := NewEngine(EngineOptions{Fleet: fleet, Verifier: &ticketServers{dir: d, encrypt: map[string]string{}},
		Store: StoreOptions{AuditLog: audit}})
	a, err := e.RotateTickets(TicketRotateRequest{Name: "tix"})
	if err != nil {
		t.Fatal(err)
	}
	if plan, err := a.Plan(context.Background()); err == nil || plan.Refusal == nil || plan.Refusal.Reason != ReasonPreviousInUse {
		t.Fatalf("plan: %v %+v; want the ticket_lifetime refusal", err, plan.Refusal)
	}
	before := snapshotKeys(t, d)
	var progress []Progress
	out, err := a.Run(context.Background(), func(p Progress) { progress = append(progress, p) })
	var ref *Refusal
	if !errors.As(err, &ref) || ref.Reason != ReasonPreviousInUse || out.State != OutcomeRefused {
		t.Fatalf("run: %v, state %s; want refused (previous key in use)", err, out.State)
	}
	if _, err := os.Stat(trace); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused rotation ran api's reload (%s exists: %v)", trace, err)
	}
	if len(progress) != 0 || len(out.Forward.Reloads) != 0 {
		t.Fatalf("a refused rotation reported progress %+v and reloads %+v", progress, out.Forward.Reloads)
	}
	if !before.sameAs(snapshotKeys(t, d)) {
		t.Fatal("a refused rotation changed the keys")
	}
	data, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	var ent AuditEntry
	if err := json.Unmarshal(data, &ent); err != nil {
		t.Fatalf("audit %s: %v", data, err)
	}
	if ent.State != OutcomeRefused || len(ent.Steps) != 0 || len(ent.Reloads) != 0 || !strings.Contains(ent.Result, "previous key in use") {
		t.Fatalf("audit line %s: want the refusal, no step and no reload", data)
	}
}

// TestTicketRotationSpeaksOfKeysNotCertificates: a ticket rotation's
// plan and outcome say which key members encrypt with, never that
// endpoints "serve" it, and a bare --dir (no members) has no endpoint
// line at all. A member that reloaded but still encrypts with the old key
// has its reload reported ok and its verification not.
func TestTicketRotationSpeaksOfKeysNotCertificates(t *testing.T) {
	noServe := func(t *testing.T, what string, lines []string) {
		t.Helper()
		if text := strings.Join(lines, "\n"); regexp.MustCompile(`\bserves?\b`).MatchString(text) {
			t.Errorf("%s speaks of serving:\n%s", what, text)
		}
	}
	t.Run("pool", func(t *testing.T) {
		e, _, _, _ := ticketEngine(t, false, nil)
		a, _ := e.RotateTickets(TicketRotateRequest{Name: "edge-tickets"})
		plan, err := a.Plan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		noServe(t, "the plan", plan.Lines())
		out, err := a.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		lines := out.Lines()
		noServe(t, "the outcome", lines)
		key := model.ShortKeyName(plan.NewSerial)
		for _, want := range []string{"edge-1: verified: encrypts with " + key + " (", "ticket-rotate edge-tickets: verified: 2/2 members encrypt with " + key} {
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }) {
				t.Errorf("outcome lacks %q:\n%s", want, strings.Join(lines, "\n"))
			}
		}
	})
	t.Run("bare dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "keys")
		d := &TicketDir{Dir: dir, Format: model.TicketNginx80}
		mustInit(t, d)
		e := NewEngine(EngineOptions{Store: StoreOptions{AuditLog: "-"}})
		a, err := e.RotateTickets(TicketRotateRequest{Dir: dir, Format: model.TicketNginx80})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := a.Plan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		noServe(t, "the plan", plan.Lines())
		if text := strings.Join(plan.Lines(), "\n"); strings.Contains(text, "verify ") || strings.Contains(text, "endpoint") {
			t.Errorf("a dir with no members plans endpoint lines:\n%s", text)
		}
		out, err := a.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"ticket-rotate " + dir + ": rotated: current key " + model.ShortKeyName(plan.NewSerial) + "; no members to verify"}
		if !slices.Equal(out.Lines(), want) {
			t.Errorf("outcome %q, want %q", out.Lines(), want)
		}
	})
	t.Run("member left on the old key", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "keys")
		d := &TicketDir{Dir: dir, Format: model.TicketNginx80}
		mustInit(t, d)
		set, _ := LoadTicketDir(dir, d.Format, time.Now())
		stale := &ticketServers{dir: d, encrypt: map[string]string{"edge-1": set.Current.Name()}}
		fleet, err := model.ParseFleet([]byte(`reloads:
  - {name: edge, exec: [/bin/true]}
endpoints:
  - {name: edge-1, address: 127.0.0.1:1, reload: edge}
ticket_keys:
  - {name: tix, dir: `+dir+`, format: nginx80, serves: [edge-1]}
`), "t.yaml")
		if err != nil {
			t.Fatal(err)
		}
		// A reload that succeeds and changes nothing; a verify timeout so
		// short that the first probe decides.
		e := NewEngine(EngineOptions{Fleet: fleet, Verifier: stale, VerifyTimeout: time.Nanosecond, Store: StoreOptions{AuditLog: "-"},
			MakeReload: func(r model.Reload, _ func(context.Context) ([]byte, error)) (Reload, error) {
				return &fakeReload{name: r.Name, steps: []Step{{Kind: "exec", Target: "/bin/true", Argv: []string{"/bin/true"}}},
					run: func(context.Context) ReloadResult { return ReloadResult{} }}, nil
			}})
		a, _ := e.RotateTickets(TicketRotateRequest{Name: "tix"})
		out, _ := a.Run(context.Background(), nil)
		if out.State != OutcomeUnverified {
			t.Fatalf("state %s, want unverified", out.State)
		}
		lines := out.Lines()
		noServe(t, "the outcome", lines)
		for _, r := range out.Forward.Reloads {
			if !r.OK || strings.Contains(r.Describe(), "failed") {
				t.Errorf("a reload that succeeded is reported %q", r.Describe())
			}
		}
		want := "edge-1: still encrypts with " + model.ShortKeyName(set.Current.Name()) + " (want " + model.ShortKeyName(set.Next.Name()) + ")"
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("outcome lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	})
}

// twoMemberTicketEngine is an engine over a pool of web1 and web2, each
// reloaded by its own nginx; web2's reload fails in phase failPhase, with
// nginx's words in its output. It returns the engine and its audit log.
func twoMemberTicketEngine(t *testing.T, failPhase int) (*Engine, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	d := &TicketDir{Dir: dir, Format: model.TicketNginx80}
	mustInit(t, d)
	fleet, err := model.ParseFleet([]byte(`reloads:
  - {name: nginx-a, exec: [nginx, -s, reload]}
  - {name: nginx-b, exec: [nginx, -s, reload]}
endpoints:
  - {name: web1, address: 127.0.0.1:1, reload: nginx-a}
  - {name: web2, address: 127.0.0.1:2, reload: nginx-b}
ticket_keys:
  - {name: web-tickets, dir: `+dir+`, format: nginx80, serves: [web1, web2]}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	servers := &ticketServers{dir: d, encrypt: map[string]string{}}
	phase := map[string]int{}
	audit := filepath.Join(t.TempDir(), "audit.log")
	e := NewEngine(EngineOptions{Fleet: fleet, Verifier: servers, VerifyTimeout: time.Second, Store: StoreOptions{AuditLog: audit},
		MakeReload: func(r model.Reload, _ func(context.Context) ([]byte, error)) (Reload, error) {
			ep := map[string]string{"nginx-a": "web1", "nginx-b": "web2"}[r.Name]
			works := servers.reload(ep)
			return &fakeReload{name: r.Name, steps: []Step{{Kind: "exec", Argv: []string{"nginx", "-s", "reload"}}},
				run: func(ctx context.Context) ReloadResult {
					if phase[r.Name]++; r.Name == "nginx-b" && phase[r.Name] == failPhase {
						return ReloadResult{Err: errors.New("exec nginx -s reload: exit status 1"), ExitCode: 1,
							Output: `nginx: [error] open() "/run/nginx-b.pid" failed (2: No such file or directory)`}
					}
					return works(ctx)
				}}, nil
		}})
	return e, audit
}

// A rotation refused because a member did not confirm the next key
// names the member and why in the audit log, not what its server wrote.
func TestRefusedTicketRotationAuditsNoServerOutput(t *testing.T) {
	e, audit := twoMemberTicketEngine(t, 1)
	a, err := e.RotateTickets(TicketRotateRequest{Name: "web-tickets"})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := a.Run(context.Background(), nil)
	if out.State != OutcomeRefused {
		t.Fatalf("state %s (%s), want refused", out.State, out.Error)
	}
	b, err := os.ReadFile(audit)
	if err != nil || strings.Contains(string(b), "nginx-b.pid") || !strings.Contains(string(b), "web2 (exec nginx -s reload: exit status 1)") {
		t.Fatalf("audit log (%v):\n%s", err, b)
	}
}

// TestTicketResultCountsEveryMember: a pool of two whose member web2's
// phase-2 reload fails (its nginx was stopped) reads "NOT VERIFIED
// (1/2)": every member is in the denominator, web2 on its own line as
// not verified, never "(1/1)" as if the pool had one member.
func TestTicketResultCountsEveryMember(t *testing.T) {
	e, audit := twoMemberTicketEngine(t, 2)
	a, err := e.RotateTickets(TicketRotateRequest{Name: "web-tickets"})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := a.Run(context.Background(), nil)
	if out.State != OutcomeUnverified {
		t.Fatalf("state %s (%s), want unverified", out.State, out.Error)
	}
	if got := out.Result(); !strings.HasPrefix(got, "NOT VERIFIED (1/2): web2: ") {
		t.Errorf("result %q, want NOT VERIFIED (1/2) naming web2", got)
	}
	// What nginx wrote is shown with the reload's line, never kept in the
	// audit log (README: a server's output is not kept).
	if b, err := os.ReadFile(audit); err != nil || strings.Contains(string(b), "nginx-b.pid") || !strings.Contains(string(b), "exit status 1") {
		t.Errorf("audit log (%v) keeps the server's words or lacks the exit status:\n%s", err, b)
	}
	lines := out.Lines()
	if !slices.Contains(lines, "web2: error: not verified: reload nginx-b failed") {
		t.Errorf("no line for web2's verification:\n%s", strings.Join(lines, "\n"))
	}
}
