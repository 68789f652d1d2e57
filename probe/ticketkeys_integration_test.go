package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certdeck/model"
	"certdeck/probe/probetest"
	"certdeck/rotate"
)

var updateTicketFixtures = flag.Bool("update-ticket-fixtures", false,
	"rewrite model/testdata/tickets from the real servers' tickets")

// keySite is one server block or frontend of a ticket-key integration
// test: its key dir and its TLS version.
type keySite struct {
	dir     *rotate.TicketDir
	version uint16
	addr    string
}

func (s keySite) label() string {
	v := map[uint16]string{tls.VersionTLS12: "TLS 1.2", tls.VersionTLS13: "TLS 1.3"}[s.version]
	set, _ := rotate.LoadTicketDir(s.dir.Dir, s.dir.Format, time.Now())
	return fmt.Sprintf("%s/%d %s", s.dir.Format, set.Current.Size(), v)
}

func initKeyDir(t *testing.T, f model.TicketFormat, size int) *rotate.TicketDir {
	t.Helper()
	d := &rotate.TicketDir{Dir: filepath.Join(t.TempDir(), "keys"), Format: f}
	if _, err := d.Init(context.Background(), rotate.InitOptions{Size: size}); err != nil {
		t.Fatal(err)
	}
	return d
}

func keySet(t *testing.T, d *rotate.TicketDir) model.TicketKeySet {
	t.Helper()
	set, facts := rotate.LoadTicketDir(d.Dir, d.Format, time.Now())
	if !set.Complete() {
		t.Fatalf("%s: %v", d.Dir, facts.Findings)
	}
	return set
}

func rotateDir(t *testing.T, d *rotate.TicketDir) {
	t.Helper()
	if _, err := d.Rotate(context.Background(), rotate.RotateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// awaitKeyName probes until the site's tickets carry want (a reload takes
// effect when the old workers have gone).
func awaitKeyName(t *testing.T, ep model.Endpoint, want string) *model.Observation {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		o := ProbeEndpoint(context.Background(), ep, probeOpts())
		if !o.Failed() && o.Ticket.KeyName == want {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: tickets carry %q (%s), want %s after the reload", ep.Address, o.Ticket.KeyName, o.Error, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkTicketKeysAcrossRotation is the scenario both servers go through:
// the probe sees the current key's name, and the ticket it captures opens
// with the halves certdeck parsed (swapped halves do not); after a rotation
// and reload, the next key's name, and a ticket issued before still
// resumes; after the second rotation (its key dropped), it no longer does.
// rotateKeys, when set, replaces "rotate the dir" (HAProxy's runtime API
// rotates the file and the server in one go); reload may then be nil.
func checkTicketKeysAcrossRotation(t *testing.T, fx *fixture, sites []keySite, reload func(), rotateKeys ...func(*rotate.TicketDir)) {
	rotateAll := func() {
		for _, d := range uniqueDirs(sites) {
			if len(rotateKeys) > 0 {
				rotateKeys[0](d)
			} else {
				rotateDir(t, d)
			}
		}
		if reload != nil {
			reload()
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(fx.ca.Cert)
	eps := make([]model.Endpoint, len(sites))
	old := make([]*tls.ClientSessionState, len(sites))
	for i, s := range sites {
		eps[i] = endpoint(t, s.label(), s.addr, "svc.test", fx.caFile)
		set := keySet(t, s.dir)
		o := ProbeEndpoint(context.Background(), eps[i], probeOpts())
		if o.Failed() || o.Ticket.Kind != model.TicketNamed || o.Ticket.KeyName != set.Current.Name() {
			t.Fatalf("%s: ticket %+v (%s), want named %s, the current key", s.label(), o.Ticket, o.Error, set.Current.Name())
		}
		if !o.Ticket.ResumeChecked || !o.Ticket.Resumed {
			t.Errorf("%s: the server does not resume its own ticket: %+v", s.label(), o.Ticket)
		}
		d, err := probetest.DialTicket(s.addr, "svc.test", roots, s.version, nil)
		if err != nil || d.Ticket == nil {
			t.Fatalf("%s: no ticket: %v", s.label(), err)
		}
		cur := set.Current
		if err := probetest.OpenSSLTicket(d.Ticket, cur.AESKey().Bytes(), cur.HMACKey().Bytes()); err != nil {
			t.Fatalf("%s: the server's ticket does not open with the key certdeck parsed: %v", s.label(), err)
		}
		if probetest.OpenSSLTicket(d.Ticket, cur.HMACKey().Bytes(), cur.AESKey().Bytes()) == nil {
			t.Fatalf("%s: the ticket opens with HMAC and AES swapped: the test cannot tell layouts apart", s.label())
		}
		old[i] = d.Session
		if *updateTicketFixtures {
			writeTicketFixture(t, s, d.Ticket)
		}
		t.Logf("%s: probe sees %s (current key)", s.label(), o.Ticket.KeyName)
	}

	before := make([]model.TicketKeySet, len(sites))
	for i, s := range sites {
		before[i] = keySet(t, s.dir)
	}
	rotateAll()
	for i, s := range sites {
		o := awaitKeyName(t, eps[i], before[i].Next.Name())
		d, err := probetest.DialTicket(s.addr, "svc.test", roots, s.version, old[i])
		if err != nil || !d.Resumed {
			t.Fatalf("%s: a ticket issued before the rotation does not resume (%v): the previous key should decrypt it", s.label(), err)
		}
		t.Logf("%s: after rotate + reload the probe sees %s (the former next key); the ticket of %s still resumes",
			s.label(), o.Ticket.KeyName, model.ShortKeyName(before[i].Current.Name()))
	}

	mid := make([]model.TicketKeySet, len(sites))
	for i, s := range sites {
		mid[i] = keySet(t, s.dir)
	}
	rotateAll()
	for i, s := range sites {
		awaitKeyName(t, eps[i], mid[i].Next.Name())
		d, err := probetest.DialTicket(s.addr, "svc.test", roots, s.version, old[i])
		if err != nil {
			t.Fatal(err)
		}
		if d.Resumed {
			t.Fatalf("%s: a ticket of the dropped key %s still resumes", s.label(), model.ShortKeyName(before[i].Current.Name()))
		}
		t.Logf("%s: after the second rotation the ticket of %s no longer resumes (its key was dropped)", s.label(), model.ShortKeyName(before[i].Current.Name()))
	}
}

func uniqueDirs(sites []keySite) []*rotate.TicketDir {
	var out []*rotate.TicketDir
	seen := map[string]bool{}
	for _, s := range sites {
		if !seen[s.dir.Dir] {
			seen[s.dir.Dir] = true
			out = append(out, s.dir)
		}
	}
	return out
}

// TestNginxTicketKeysFromCertdeckAcrossRotation: nginx 48- and 80-byte
// keys made by `certdeck tickets init`, TLS 1.2 and 1.3, rotated by
// certdeck and reloaded with `nginx -s reload`.
func TestNginxTicketKeysFromCertdeckAcrossRotation(t *testing.T) {
	probetest.RequireBinary(t, "nginx")
	fx := newFixture(t)
	d80, d48 := initKeyDir(t, model.TicketNginx80, 80), initKeyDir(t, model.TicketNginx48, 48)
	files := func(d *rotate.TicketDir) []string {
		var out []string
		for _, r := range model.TicketRoles { // current first: the first key encrypts
			out = append(out, filepath.Join(d.Dir, model.TicketKeyFile(r)))
		}
		return out
	}
	sites := []keySite{{dir: d80, version: tls.VersionTLS13}, {dir: d80, version: tls.VersionTLS12},
		{dir: d48, version: tls.VersionTLS13}, {dir: d48, version: tls.VersionTLS12}}
	var ns []probetest.NginxSite
	for _, s := range sites {
		proto := map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}[s.version]
		ns = append(ns, probetest.NginxSite{FullchainPEM: fx.leaf.FullchainPEM(), KeyPEM: fx.leaf.KeyPEM(),
			TicketKeyFiles: files(s.dir), Protocols: proto})
	}
	ngx := probetest.StartNginx(t, ns...)
	for i := range sites {
		sites[i].addr = ngx.Servers[i].Addr
	}
	checkTicketKeysAcrossRotation(t, fx, sites, func() {
		workers := ngx.Workers()
		argv := ngx.ReloadArgv()
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("nginx -s reload: %v: %s", err, out)
		}
		// An old worker still accepts for a moment, with the old keys: a
		// dropped key's ticket would resume there.
		if err := ngx.AwaitWorkersGone(workers, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHAProxyTicketKeysFromCertdeckAcrossRotation: HAProxy 2.6 with a
// tls-ticket-keys file made by `certdeck tickets init --format haproxy`
// (80- and 48-byte lines), TLS 1.2 and 1.3, rotated by certdeck and
// reloaded (master-worker, SIGUSR2).
func TestHAProxyTicketKeysFromCertdeckAcrossRotation(t *testing.T) {
	probetest.RequireBinary(t, "haproxy")
	fx := newFixture(t)
	h80, h48 := initKeyDir(t, model.TicketHAProxy, 80), initKeyDir(t, model.TicketHAProxy, 48)
	sites := []keySite{{dir: h80, version: tls.VersionTLS13}, {dir: h80, version: tls.VersionTLS12},
		{dir: h48, version: tls.VersionTLS13}, {dir: h48, version: tls.VersionTLS12}}
	var hs []probetest.HAProxySite
	for _, s := range sites {
		site := probetest.HAProxySite{FullchainPEM: fx.leaf.FullchainPEM(), KeyPEM: fx.leaf.KeyPEM(),
			TicketKeysFile: filepath.Join(s.dir.Dir, model.HAProxyTicketFile)}
		if s.version == tls.VersionTLS13 {
			site.MinVersion = "TLSv1.3"
		} else {
			site.MaxVersion = "TLSv1.2"
		}
		hs = append(hs, site)
	}
	hap := probetest.StartHAProxyWith(t, probetest.HAProxyOptions{MasterWorker: true}, hs...)
	for i := range sites {
		sites[i].addr = hap.Servers[i].Addr
	}
	checkTicketKeysAcrossRotation(t, fx, sites, func() {
		if err := hap.Reload(); err != nil {
			t.Fatalf("reload haproxy: %v", err)
		}
	})
}

// writeTicketFixture keeps a real server's ticket and the key file that
// sealed it for model's unit test (TestCapturedTicketsOpenWithParsedKeys),
// which then proves the layouts without a server.
func writeTicketFixture(t *testing.T, s keySite, ticket []byte) {
	t.Helper()
	set := keySet(t, s.dir)
	name := fmt.Sprintf("%s-%d", s.dir.Format, set.Current.Size())
	dir := filepath.Join("..", "model", "testdata", "tickets")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keyFile := model.HAProxyTicketFile
	if s.dir.Format != model.TicketHAProxy {
		keyFile = model.TicketKeyFile(model.RoleCurrent)
	}
	key, err := os.ReadFile(filepath.Join(s.dir.Dir, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".key"), key, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".ticket"), ticket, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHAProxyRuntimeTicketKeyRotation: with HAProxy's runtime API
// (`set ssl tls-key`) a rotation needs no reload. The file is rotated, the
// new next key pushed; the same HAProxy process (PID unchanged) at once
// issues tickets named after the former next key, `show tls-keys` lists
// the file's three keys, an old ticket resumes until its key is dropped
// by the second rotation. A HAProxy that does not hold the file's keys
// is refused before anything is written.
func TestHAProxyRuntimeTicketKeyRotation(t *testing.T) {
	probetest.RequireBinary(t, "haproxy")
	fx := newFixture(t)
	d := initKeyDir(t, model.TicketHAProxy, 80)
	keys := filepath.Join(d.Dir, model.HAProxyTicketFile)
	sites := []keySite{{dir: d, version: tls.VersionTLS13}, {dir: d, version: tls.VersionTLS12}}
	var hs []probetest.HAProxySite
	for _, s := range sites {
		site := probetest.HAProxySite{FullchainPEM: fx.leaf.FullchainPEM(), KeyPEM: fx.leaf.KeyPEM(), TicketKeysFile: keys}
		if s.version == tls.VersionTLS13 {
			site.MinVersion = "TLSv1.3"
		} else {
			site.MaxVersion = "TLSv1.2"
		}
		hs = append(hs, site)
	}
	hap := probetest.StartHAProxy(t, hs...)
	pid := hap.PID()
	for i := range sites {
		sites[i].addr = hap.Servers[i].Addr
	}
	api := rotate.HAProxyTicketAPI{Socket: hap.Socket, Ref: keys}
	held, err := api.Names(context.Background())
	set := keySet(t, d)
	if err != nil || held[0] != set.Previous.Name() || held[1] != set.Current.Name() || held[2] != set.Next.Name() {
		t.Fatalf("show tls-keys = %v (%v); want the file's previous, current, next", held, err)
	}
	checkTicketKeysAcrossRotation(t, fx, sites, nil, func(d *rotate.TicketDir) {
		if _, err := d.RotateWithHAProxy(context.Background(), api, rotate.RotateOptions{}); err != nil {
			t.Fatalf("rotate with set ssl tls-key: %v", err)
		}
	})
	if hap.PID() != pid || !hap.Running() {
		t.Fatal("HAProxy was restarted: the runtime rotation must not need one")
	}
	// The file moves on without HAProxy: the next runtime rotation would
	// promote a key HAProxy does not hold as next, and is refused.
	rotateDir(t, d)
	before := keySet(t, d)
	_, err = d.RotateWithHAProxy(context.Background(), api, rotate.RotateOptions{})
	var r *rotate.Refusal
	if !errors.As(err, &r) || !strings.Contains(err.Error(), "reload HAProxy") {
		t.Fatalf("HAProxy out of step with the file: %v", err)
	}
	if after := keySet(t, d); !after.Current.SameKey(before.Current) || !after.Next.SameKey(before.Next) {
		t.Fatal("a refused runtime rotation rotated the file")
	}
}
