package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"certdeck/demo/pki"
	"certdeck/model"
	"certdeck/probe/probetest"
)

// A FIFO named as ca:, client_cert or client_key must never hang a probe
// (a blocking open waits for a writer forever): the probe says what the
// file is instead.
func TestProbeNeverHangsOnASpecialFile(t *testing.T) {
	fx := newFixture(t)
	client := pki.Must(fx.inter.Issue(pki.Options{CommonName: "probe-client"}))
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	for _, which := range []string{"ca", "client_cert", "client_key"} {
		t.Run(which, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			ep := endpoint(t, "x", srv.Addr, "svc.test", fx.caFile)
			ep.ClientCert = writeFile(t, "client.pem", client.FullchainPEM())
			ep.ClientKey = writeFile(t, "client.key", client.KeyPEM())
			switch which {
			case "ca":
				ep.CAFile = fifo
			case "client_cert":
				ep.ClientCert = fifo
			case "client_key":
				ep.ClientKey = fifo
			}
			done := make(chan *model.Observation, 1)
			go func() { done <- ProbeEndpoint(context.Background(), ep, probeOpts()) }()
			select {
			case o := <-done:
				if msg := o.Error + o.VerifyError; !strings.Contains(msg, "FIFO") || !strings.Contains(msg, fifo) {
					t.Fatalf("error = %q, verify error = %q; want the FIFO named", o.Error, o.VerifyError)
				}
			case <-time.After(testTimeout):
				// Open the write end so the stuck open returns and the
				// goroutine ends with the test.
				if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
				<-done
				t.Fatalf("the probe hung on a FIFO as %s", which)
			}
		})
	}
}

// A ca: file replaced while certdeck runs is used from the next probe a
// second (rootsRecheck) later: endpoints sharing it do not stat it on
// every probe, and a rotation is never missed.
func TestReplacedCAFileIsUsedWithinASecond(t *testing.T) {
	fx := newFixture(t)
	srv := probetest.StartTLSServer(t, serverConfig(fx.leaf.TLSCertificate()))
	caFile := writeFile(t, "ca.pem", pki.Must(pki.NewCA("Old Root")).RootPEM())
	p := newProber(probeOpts(), nil)
	ep := endpoint(t, "x", srv.Addr, "svc.test", caFile)
	if o := p.probe(context.Background(), ep); o.Verified {
		t.Fatal("verified against a root that did not issue the chain")
	}
	if err := os.WriteFile(caFile, fx.ca.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(rootsRecheck + 100*time.Millisecond)
	if o := p.probe(context.Background(), ep); !o.Verified {
		t.Fatalf("after the ca: file was replaced: verified=false (%s)", o.VerifyError)
	}
}
