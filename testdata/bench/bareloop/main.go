// Command bareloop is the yardstick of testdata/bench/compare.sh: full
// TLS handshakes with certificate verification (Go's defaults, as a plain
// tls.Dial does), one per target, at a fixed concurrency, and nothing
// else. It prints how many succeeded; the script times the process.
//
//	go run ./testdata/bench/bareloop -list targets.txt -ca ca.pem -sni bench.test -c 32
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	list := flag.String("list", "", "file of host:port targets, one a line")
	caFile := flag.String("ca", "", "PEM trust roots")
	sni := flag.String("sni", "", "server name to send and verify")
	conc := flag.Int("c", 32, "handshakes in flight")
	flag.Parse()
	if err := run(*list, *caFile, *sni, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "bareloop:", err)
		os.Exit(1)
	}
}

func run(list, caFile, sni string, conc int) error {
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		return fmt.Errorf("%s: no certificates", caFile)
	}
	f, err := os.Open(list)
	if err != nil {
		return err
	}
	var targets []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := sc.Text(); t != "" {
			targets = append(targets, t)
		}
	}
	f.Close()
	cfg := &tls.Config{RootCAs: roots, ServerName: sni}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	var next, ok, failed atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(targets) {
					return
				}
				c, err := tls.DialWithDialer(dialer, "tcp", targets[i], cfg)
				if err != nil {
					if failed.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "bareloop:", err)
					}
					continue
				}
				c.Close()
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	fmt.Printf("%d ok %d failed\n", ok.Load(), failed.Load())
	if failed.Load() > 0 {
		return fmt.Errorf("%d handshakes failed", failed.Load())
	}
	return nil
}
