package rotate

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"certdeck/demo/pki"
)

// hostile is what an attacker who controls a certificate's fields puts in
// them: an OSC that retitles the terminal (tmux passes it on) and a bidi
// override that makes the rest of the line read backwards.
const hostile = "evil\x1b]0;pwned\a\u202egnp.test"

// hasRawEscapes reports terminal controls that must never reach a tty.
func hasRawEscapes(s string) bool {
	return strings.ContainsAny(s, "\x1b\a\u202e")
}

func TestStoreLsTableSanitisesCertificateFieldsAndJSONKeepsThem(t *testing.T) {
	s := newTestStore(t)
	// No SANs: the names column falls back to the common name, which may
	// be any UTF-8; the IA5 SAN of the second may carry ESC and BEL.
	cnOnly := issueOpts(t, pki.Options{CommonName: hostile})
	mustPublish(t, s, "web", inputsFor(cnOnly))
	san := issueOpts(t, pki.Options{DNSNames: []string{"evil\x1b]0;pwned\a.test"}})
	in := inputsFor(san)
	in.AllowNameChange = true
	mustPublish(t, s, "web", in)
	rows, err := s.Versions("web")
	if err != nil {
		t.Fatal(err)
	}

	var table bytes.Buffer
	if err := WriteVersions(&table, rows, false); err != nil {
		t.Fatal(err)
	}
	if hasRawEscapes(table.String()) {
		t.Fatalf("store ls table passes raw escapes to the terminal:\n%q", table.String())
	}
	if !strings.Contains(table.String(), `evil\x1b]0;pwned\x07\u202egnp.test`) {
		t.Errorf("the table does not show the hostile name visibly escaped:\n%s", table.String())
	}

	var js bytes.Buffer
	if err := WriteVersions(&js, rows, true); err != nil {
		t.Fatal(err)
	}
	var back []VersionListing
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].SANs[0] != strings.ToLower(hostile) {
		t.Fatalf("JSON changed the exact value: %+v", back)
	}
}
