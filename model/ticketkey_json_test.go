package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTicketFileModeIsOctalInJSON: tickets show --format json gives a key
// file's mode as check's JSON gives a bundle file's, "0600", not 384.
func TestTicketFileModeIsOctalInJSON(t *testing.T) {
	got, err := json.Marshal([]TicketFileFacts{{Name: "current.key", Mode: 0o600, Size: 80}, {Name: "next.key", Missing: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"current.key","mode":"0600","size":80},{"name":"next.key","size":0,"missing":true}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if strings.Contains(string(got), "384") {
		t.Fatal("mode in decimal")
	}
}
