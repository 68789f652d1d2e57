package ui

import (
	"fmt"
	"strings"

	"certdeck/model"

	tea "charm.land/bubbletea/v2"
)

// A batch is what x, r and c act on: the marked rows of the tab, else
// the row under the cursor.

// certOf is one batch item's certificate: its name and leaf (nil when
// none is known).
type certOf struct {
	name string
	leaf *model.CertInfo
}

// copyCerts is c/C over a batch: every serial (or SHA-256 fingerprint)
// on the clipboard, one per line in display order, with OSC 52. Items
// with no known certificate are skipped and counted in the flash.
func copyCerts(con console, certs []certOf, fingerprint bool) tea.Cmd {
	if len(certs) == 1 {
		return copyCert(con, certs[0].leaf, fingerprint, certs[0].name)
	}
	what := "serial"
	if fingerprint {
		what = "SHA-256 fingerprint"
	}
	var vals, names []string
	skipped := 0
	for _, c := range certs {
		if c.leaf == nil {
			skipped++
			continue
		}
		v := c.leaf.Serial
		if fingerprint {
			v = c.leaf.SHA256
		}
		vals, names = append(vals, v), append(names, clean(c.name))
	}
	if len(vals) == 0 {
		con.setFlash(fmt.Sprintf("nothing to copy: no certificate known for the %d marked rows", len(certs)))
		return nil
	}
	if len(vals) > 1 {
		what += "s, one per line"
	}
	text := fmt.Sprintf("copied %d %s (%s; OSC 52)", len(vals), what, listNames(names, 4))
	if skipped > 0 {
		text += fmt.Sprintf("; %d with no certificate known skipped", skipped)
	}
	con.setFlash(text)
	return tea.SetClipboard(strings.Join(vals, "\n"))
}

// listNames is "a, b, c" or "a, b, c and 4 more": a flash names what a
// batch touched without running off the line.
func listNames(names []string, most int) string {
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}

// joinAnd is "a", "a and b", "a, b and c".
func joinAnd(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
