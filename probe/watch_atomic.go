package probe

import (
	"fmt"
	"time"
)

// nonAtomic notices writers that replace a bundle's certificate and key in
// separate steps further apart than the debounce (certbot-style per-file
// replacement done slowly, a script that copies files one by one): one
// read sees only one half changed, a later read the other half. Anything
// that read the bundle in between (a server reloading) got a mismatched
// pair. A certificate renewed with the same key changes one half only and
// is not reported, because no second half follows.
//
// It returns the note for the read that completes such a change, or "".
func (wb *watchedBundle) nonAtomic(cur *bundleRead, now time.Time, window time.Duration) string {
	certChanged := wb.certPrint != cur.certPrint
	keyChanged := wb.keyPrint != cur.keyPrint
	if certChanged == keyChanged {
		// Both halves in one read (atomic, or fast enough), or nothing.
		wb.half = ""
		return ""
	}
	what := "certificate"
	if keyChanged {
		what = "key"
	}
	if wb.half != "" && wb.half != what && now.Sub(wb.halfAt) <= window {
		note := fmt.Sprintf("non-atomic write: the %s changed %s after the %s; anything that read the bundle in between got a mismatched pair",
			what, now.Sub(wb.halfAt).Round(time.Millisecond), wb.half)
		wb.half = ""
		return note
	}
	wb.half, wb.halfAt = what, now
	return ""
}
