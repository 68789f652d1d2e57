package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certdeck/demo/pki"
)

// TestFailedExecReloadIsSaidOnce: a real exec reload that fails (exit 3,
// nginx's words on stderr) is said once, on its result line on stdout;
// the exit status says it failed, and stderr stays empty. For `reload`
// (exit 1: nothing else changed) and `rotate --reload` (exit 4: the store
// holds the new version, which nobody serves).
func TestFailedExecReloadIsSaidOnce(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	root := pki.Must(pki.NewCA("cli root"))
	ca := writeFile(t, filepath.Join(dir, "ca.pem"), root.RootPEM())
	leaf := func(name string) (string, string) {
		l := pki.Must(root.Issue(pki.Options{DNSNames: []string{"app.test"}}))
		return writeFile(t, filepath.Join(dir, name+".pem"), l.FullchainPEM()), writeFile(t, filepath.Join(dir, name+".key"), l.KeyPEM())
	}
	full, key := leaf("v1")
	if out, code, msg := runRotateCmd(t, "rotate", "app", "--store", store, "--fullchain", full, "--key", key, "--ca", ca); code != 0 {
		t.Fatalf("first publish: %d %s %s", code, out, msg)
	}
	script := filepath.Join(dir, "reload-nginx")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'nginx: [emerg] open() \"/etc/nginx/app.conf\" failed' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Appendf(nil, `reloads:
  - {name: app-nginx, exec: [%s]}
endpoints:
  - {name: app, address: 127.0.0.1:1, sni: app.test, ca: %s}
bundles:
  - {name: app, path: %s, layout: store, ca: %s, serves: [app], reload: app-nginx}
`, script, ca, filepath.Join(store, "app"), ca))
	full2, key2 := leaf("v2")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"reload", []string{"reload", "app", "--config", cfg}, storeRefused},
		{"rotate --reload", []string{"rotate", "app", "--config", cfg, "--fullchain", full2, "--key", key2, "--ca", ca, "--reload"}, actionNotVerified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runTickets(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, said := range []string{"exit status 3", "[emerg] open()"} {
				if n := strings.Count(out, said); n != 1 {
					t.Errorf("stdout says %q %d times, want once:\n%s", said, n, out)
				}
			}
			if !strings.Contains(out, "reload app-nginx (exec): failed: exec "+script+": exit status 3: nginx: [emerg]") ||
				!strings.HasSuffix(out, " failed: reload app-nginx failed\n") && !strings.HasSuffix(out, ", but reload app-nginx failed\n") {
				t.Errorf("stdout lacks the reload's line or the result:\n%s", out)
			}
			if errOut != "" {
				t.Errorf("stderr repeats the result: %q", errOut)
			}
		})
	}
}
