package rotate_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe"
	"certdeck/probe/probetest"
	"certdeck/rotate"
)

// hitlessCycles is how many publish + reload + verify cycles the proof
// runs (the issue asks for 100).
const hitlessCycles = 100

// connRecord is one TLS connection a client opened: when it started
// dialling and which serial the server presented.
type connRecord struct {
	opened time.Time
	serial string
}

// clients hammer one server with two loops until stopped: fresh
// connections (a handshake, one HTTP request, close) and an HTTP client
// reusing keep-alive connections. Every connection either loop opens is
// recorded; every request that does not end in 200 "ok" is a failure.
type clients struct {
	name                 string
	mu                   sync.Mutex
	conns                []connRecord
	handshakes, requests atomic.Int64
	failures             []string
}

func (c *clients) record(r connRecord) {
	c.mu.Lock()
	c.conns = append(c.conns, r)
	c.mu.Unlock()
}

func (c *clients) fail(format string, args ...any) {
	c.mu.Lock()
	c.failures = append(c.failures, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// run starts both loops against addr; stop ends them.
func (c *clients) run(addr string, roots *x509.CertPool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	cfg := &tls.Config{RootCAs: roots, ServerName: "web.test", NextProtos: []string{"http/1.1"}}
	dial := func(ctx context.Context) (*tls.Conn, error) {
		opened := time.Now()
		d := tls.Dialer{Config: cfg, NetDialer: &net.Dialer{Timeout: 30 * time.Second}}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		tc := conn.(*tls.Conn)
		c.record(connRecord{opened: opened, serial: model.SerialHex(tc.ConnectionState().PeerCertificates[0].SerialNumber)})
		return tc, nil
	}
	wg.Go(func() { // a fresh connection per request
		for ctx.Err() == nil {
			tc, err := dial(ctx)
			if err != nil {
				if ctx.Err() == nil {
					c.fail("handshake: %v", err)
				}
				continue
			}
			c.handshakes.Add(1)
			_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
			fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
					err = fmt.Errorf("status %d %q", resp.StatusCode, body)
				}
			}
			tc.Close()
			if err != nil {
				c.fail("request on a fresh connection: %v", err)
				continue
			}
			c.requests.Add(1)
		}
	})
	tr := &http.Transport{
		DialTLSContext:  func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		MaxIdleConns:    1,
		IdleConnTimeout: time.Minute,
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	wg.Go(func() { // keep-alive requests
		defer tr.CloseIdleConnections()
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://web.test/", nil)
			resp, err := client.Do(req)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
					err = fmt.Errorf("status %d %q", resp.StatusCode, body)
				}
			}
			if err != nil {
				if ctx.Err() == nil || !errors.Is(err, context.Canceled) {
					c.fail("keep-alive request: %v", err)
				}
				continue
			}
			c.requests.Add(1)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// TestHitlessRotationThroughNginxAndAGoReloader is the hitless proof:
// a real nginx serving the store's current/ and a Go server on
// rotate.Reloader, both serving bundle "web", go through 100 publish +
// reload (nginx: exec `nginx -s reload`; the Go server needs none) +
// verify cycles on the engine, while clients open fresh connections and
// send keep-alive requests to both without pause. No request may fail,
// and every connection opened after a cycle's verification must see that
// cycle's serial or a later one. It logs the counts and the latency from
// publish to every endpoint verified (median, p99).
func TestHitlessRotationThroughNginxAndAGoReloader(t *testing.T) {
	root := pki.Must(pki.NewCA("hitless root"))
	inter := pki.Must(root.Intermediate("hitless inter"))
	leaves := make([]*pki.Leaf, hitlessCycles+1)
	for i := range leaves {
		leaves[i] = pki.Must(inter.Issue(pki.Options{DNSNames: []string{"web.test"}}))
	}
	serialIndex := map[string]int{}
	for i, l := range leaves {
		serialIndex[model.SerialHex(l.Cert.SerialNumber)] = i
	}
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := probetest.WriteSecret(caFile, root.RootPEM()); err != nil {
		t.Fatal(err)
	}
	store := &rotate.Store{Dir: filepath.Join(dir, "store"), Roots: root.Pool(), AuditLog: "-"}
	if _, err := store.Publish(t.Context(), "web", rotate.Inputs{Fullchain: leaves[0].FullchainPEM(), Key: leaves[0].KeyPEM()}); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(store.BundleDir("web"), rotate.CurrentLink)
	nginx := probetest.StartNginx(t, probetest.NginxSite{CertPath: filepath.Join(cur, rotate.FullchainFile), KeyPath: filepath.Join(cur, rotate.KeyFile)})

	rl, err := rotate.NewReloader(store.BundleDir("web"), rotate.ReloaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	goSrv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") }),
		// Generous timeouts: on two shared cores a starved client must not
		// look like a dropped connection.
		TLSConfig: &tls.Config{GetCertificate: rl.GetCertificate}, ReadHeaderTimeout: 30 * time.Second,
		// Clients cancelled at the end leave half-done handshakes: not news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go goSrv.ServeTLS(ln, "", "")
	defer goSrv.Close()

	argv := `["` + strings.Join(nginx.ReloadArgv(), `", "`) + `"]`
	cfg := fmt.Sprintf(`defaults: {timeout: 3s}
reloads:
  - {name: nginx, exec: %s}
endpoints:
  - {name: nginx, address: %s, sni: web.test, ca: %s, reload: nginx}
  - {name: go, address: %s, sni: web.test, ca: %s}
bundles:
  - {name: web, path: %s, layout: store, ca: %s, serves: [nginx, go]}
`, argv, nginx.Servers[0].Addr, caFile, ln.Addr(), caFile, store.BundleDir("web"), caFile)
	fleet, err := model.ParseFleet([]byte(cfg), "hitless.yaml")
	if err != nil {
		t.Fatal(err)
	}
	engine := rotate.NewEngine(rotate.EngineOptions{Fleet: fleet, Verifier: probe.NewServedProber(fleet, probe.ProbeOptions{}),
		BundleSerial: probe.BundleSerial, Store: rotate.StoreOptions{AuditLog: "-", Roots: root.Pool()}})

	servers := []*clients{{name: "nginx"}, {name: "Go Reloader"}}
	stopNginx := servers[0].run(nginx.Servers[0].Addr, root.Pool())
	stopGo := servers[1].run(ln.Addr().String(), root.Pool())
	verifiedAt := make([]time.Time, hitlessCycles+1)
	var total, verify []time.Duration
	start := time.Now()
	for i := 1; i <= hitlessCycles; i++ {
		leaf := leaves[i]
		a, err := engine.Publish(rotate.PublishRequest{Bundle: "web", Reload: true, Verify: true,
			Inputs: func() (rotate.Inputs, error) {
				return rotate.Inputs{Fullchain: leaf.FullchainPEM(), Key: leaf.KeyPEM()}, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		out, err := a.Run(t.Context(), nil)
		if err != nil {
			stopNginx()
			stopGo()
			t.Fatalf("cycle %d: %v\n%s\nnginx log: %s", i, err, strings.Join(out.Lines(), "\n"), readFile(nginx.ErrLog))
		}
		verifiedAt[i] = time.Now()
		total = append(total, verifiedAt[i].Sub(began))
		slowest := time.Duration(0)
		for _, v := range out.Forward.Verify {
			slowest = max(slowest, v.Elapsed)
		}
		verify = append(verify, slowest)
	}
	elapsed := time.Since(start)
	stopNginx()
	stopGo()

	for _, c := range servers {
		late := 0
		var maxLate time.Duration
		for _, r := range c.conns {
			// The last cycle verified before this connection started
			// dialling: the connection must see that serial or a newer one.
			cycle := 0
			for i := hitlessCycles; i >= 1; i-- {
				if verifiedAt[i].Before(r.opened) {
					cycle = i
					break
				}
			}
			got, known := serialIndex[r.serial]
			if !known || got < cycle {
				late++
				if d := r.opened.Sub(verifiedAt[cycle]); d > maxLate {
					maxLate = d
				}
				if late <= 3 {
					t.Errorf("%s: a connection opened %v after cycle %d was verified saw serial %s (cycle %d)", c.name, r.opened.Sub(verifiedAt[cycle]), cycle, r.serial, got)
				}
			}
		}
		if len(c.failures) > 0 {
			t.Errorf("%s: %d failed requests, first: %s", c.name, len(c.failures), c.failures[0])
		}
		if c.requests.Load() == 0 || c.handshakes.Load() == 0 {
			t.Errorf("%s: the clients made no requests", c.name)
		}
		t.Logf("%s: %d requests (%d on fresh connections), %d connections opened, %d failed, %d saw an older serial after verification (at most %v after)",
			c.name, c.requests.Load(), c.handshakes.Load(), len(c.conns), len(c.failures), late, maxLate)
	}
	t.Logf("%d cycles in %v; publish → every endpoint verified: median %v, p99 %v (verification alone: median %v, p99 %v)",
		hitlessCycles, elapsed.Round(time.Millisecond), quantile(total, 0.5), quantile(total, 0.99), quantile(verify, 0.5), quantile(verify, 0.99))
}

// quantile is the q-quantile of ds by the nearest-rank method.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.5) - 1
	return s[min(max(i, 0), len(s)-1)].Round(100 * time.Microsecond)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
