package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// clean makes text from the network or config safe to print: control
// characters (ESC above all) are replaced, so a hostile server error or
// certificate subject cannot move the cursor or restyle the terminal.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteRune('�')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fit truncates plain text to w cells (with an ellipsis) and pads it to
// exactly w cells, so columns line up whatever the content.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// fitRight is fit with the text aligned to the right edge (numbers).
func fitRight(s string, w int) string {
	sw := width(s)
	if sw >= w {
		return fit(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// padLines makes s exactly h lines of width w: views compose panes side
// by side and the layout must not shift when a pane has little to say.
func padLines(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := 0; i < h; i++ {
		l := ""
		if i < len(lines) {
			l = lines[i]
		}
		lw := ansi.StringWidth(l)
		switch {
		case lw > w:
			l = ansi.Truncate(l, w, "…")
		case lw < w:
			l += strings.Repeat(" ", w-lw)
		}
		out[i] = l
	}
	return out
}

// width is the display width of s. Most cells are plain ASCII (serials,
// dates, host names), where it is the length: measuring grapheme
// clusters for them dominated the cost of a frame.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}
