package ui

import (
	"strings"

	"certdeck/model"

	"github.com/charmbracelet/x/ansi"
)

// clean makes text from the network, the disk or the config safe to
// print: it is model.Sanitize, the one sanitiser (controls, ESC above
// all, and bidi overrides are shown escaped), so a hostile server error
// or certificate subject cannot move the cursor, restyle the terminal or
// reorder what the operator reads.
func clean(s string) string { return model.Sanitize(s) }

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

// fitMiddle is fit that cuts an over-long value in the middle, keeping
// both ends: paths start alike and differ at the end.
func fitMiddle(s string, w int) string {
	sw := width(s)
	if sw <= w || w < 5 {
		return fit(s, w)
	}
	// Two thirds for the end, which tells paths apart.
	right := (w - 1) * 2 / 3
	left := w - 1 - right
	return fit(ansi.Truncate(s, left, "")+"…"+ansi.TruncateLeft(s, sw-right, ""), w)
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
