package main

import (
	"os"
	"regexp"
	"testing"

	"certdeck/model"
)

// TestReadmeConfigExampleIsValid keeps the configuration reference in
// README.md true: the example must pass the same strict decoding as a
// user's config file.
func TestReadmeConfigExampleIsValid(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no yaml example")
	}
	for _, b := range blocks {
		fleet, err := model.ParseFleet(b[1], "README.md example")
		if err != nil {
			t.Fatalf("README's config example is rejected: %v", err)
		}
		if len(fleet.Endpoints) == 0 || len(fleet.Bundles) == 0 {
			t.Fatalf("README's example shows %d endpoints and %d bundles; it should show both", len(fleet.Endpoints), len(fleet.Bundles))
		}
	}
}
