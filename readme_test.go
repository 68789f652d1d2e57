package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"certdeck/model"
)

// TestReadmeConfigExampleIsValid keeps the configuration reference in
// README.md true: the example is testdata/config/example.yaml verbatim
// (the fixture the model's fuzzing starts from), and it passes the same
// strict decoding as a user's config file, with every kind of item and
// the keys an operator looks for.
func TestReadmeConfigExampleIsValid(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join("testdata", "config", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d yaml examples, want the one configuration reference", len(blocks))
	}
	if string(blocks[0][1]) != string(example) {
		t.Fatalf("README's config example differs from testdata/config/example.yaml:\n%s", blocks[0][1])
	}
	fleet, err := model.ParseFleet(example, "README.md example")
	if err != nil {
		t.Fatalf("README's config example is rejected: %v", err)
	}
	if len(fleet.Endpoints) == 0 || len(fleet.Bundles) == 0 {
		t.Fatalf("README's example shows %d endpoints and %d bundles; it should show both", len(fleet.Endpoints), len(fleet.Bundles))
	}
	shown := map[string]bool{}
	for _, b := range fleet.Bundles {
		shown["layout "+b.Layout] = true
		shown["bundle ca"] = shown["bundle ca"] || b.CAFile != ""
		shown["bundle source"] = shown["bundle source"] || b.Source != ""
	}
	for _, e := range fleet.Endpoints {
		shown["endpoint ca"] = shown["endpoint ca"] || e.CAFile != ""
		shown["client_cert"] = shown["client_cert"] || e.ClientCert != ""
		shown["percentage threshold"] = shown["percentage threshold"] || e.Thresholds.Warn.Percent > 0 && e.Thresholds.Warn.Duration == 0
	}
	for _, key := range []string{"bundle ca", "bundle source", "endpoint ca", "client_cert", "percentage threshold", "layout pair"} {
		if !shown[key] {
			t.Errorf("README's example does not show %s", key)
		}
	}
}
