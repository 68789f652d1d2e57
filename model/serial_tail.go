package model

// Serials and ticket key names are long hex strings; a table cell shows
// their end. A fixed prefix collapses the serials a CA issues in sequence
// (openssl -CAcreateserial: …6e, …6f, …70), and the end tells random
// serials apart as well as the start. How many digits a table shows is
// computed over every value it may put on screen (DistinctTailLength), so
// two different values never look the same. The console and `check`'s
// table share this rule.

// MinSerialDigits is the least a cell shows: 32 bits tell thousands of
// random serials apart, and more digits are added when they do not.
const MinSerialDigits = 8

// SerialTail is the last n characters of s after "…", or s when it is
// that short.
func SerialTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TailKey is a SerialTail label without its allocation: the tail and
// whether it was cut.
type TailKey struct {
	tail string
	cut  bool
}

// DistinctTailLength finds the fewest trailing characters, at least
// atLeast, whose SerialTail labels tell every distinct value apart. seen is
// scratch space the caller may keep between calls (nil: allocated here).
func DistinctTailLength(values []string, atLeast int, seen map[TailKey]string) int {
	if seen == nil {
		seen = map[TailKey]string{}
	}
	// Two values whose labels collide at n are not both shorter than n
	// (then each label is the value itself), so n grows to at most the
	// longest value.
	for n := atLeast; ; n++ {
		clear(seen)
		unique := true
		for _, v := range values {
			k := TailKey{tail: v, cut: len(v) > n}
			if k.cut {
				k.tail = v[len(v)-n:]
			}
			if prev, dup := seen[k]; dup && prev != v {
				unique = false
				break
			}
			seen[k] = v
		}
		if unique {
			return n
		}
	}
}
