package ui

import (
	"fmt"
	"strings"
	"time"

	"certdeck/themes"

	"github.com/charmbracelet/x/ansi"
)

// detailEvents is how many recent events the detail pane lists.
const detailEvents = 8

// detailLine is one logical line of a detail pane. When it is wider than
// the pane it wraps on word boundaries, and continuation lines hang at
// hang cells, under the value rather than under the label.
type detailLine struct {
	text string
	hang int
}

// labelWidth is the width of a detail label ("verify    "); values
// start, and continue, one cell after it.
const labelWidth = 11

// details builds a section's detail lines with the shared styles.
type details struct {
	st    *themes.Styles
	lines []detailLine
}

func (d *details) add(text string, hang int) { d.lines = append(d.lines, detailLine{text, hang}) }

// kv is a labelled value: "SHA-256    ab12…".
func (d *details) kv(label, value string) {
	d.add(d.st.Muted.Render(fmt.Sprintf("%-*s", labelWidth, label))+" "+value, labelWidth+1)
}

// bullet is one reason under the title: "  • expires in 3 days".
func (d *details) bullet(text string) { d.add("  • "+text, 4) }

// heading starts a part of the pane after a blank line.
func (d *details) heading(text string) {
	d.add("", 0)
	d.add(d.st.Title.Render(text), 0)
}

// events lists the most recent events of one subject, newest first.
func (d *details) events(ring *eventRing, subject string) {
	d.heading("Recent events")
	evs := ring.LastFor(subject, detailEvents)
	if len(evs) == 0 {
		d.add(d.st.Muted.Render("none"), 0)
	}
	for _, c := range evs {
		d.add(d.st.Muted.Render(c.Time.Format(time.TimeOnly))+" "+d.st.Accent.Render(string(c.Kind))+" "+clean(c.Message), 9)
	}
}

// renderDetail is the active section's detail pane, wrapped to w, scrolled
// by detailScroll and cut to exactly w x h; scrollable says it holds more
// than h lines (the footer offers ctrl+d/u only then).
func (m *Model) renderDetail(w, h int) (pane []string, scrollable bool) {
	content := m.section().Detail()
	if content == nil {
		return padLines([]string{m.ctx.Styles.Muted.Render("nothing selected")}, w, h), false
	}
	var lines []string
	for _, l := range content {
		lines = append(lines, wrapHanging(l, max(1, w-1))...)
	}
	scroll := min(m.detailScroll, max(0, len(lines)-h))
	out := make([]string, 0, h)
	for _, l := range lines[scroll:] {
		out = append(out, " "+l)
	}
	return padLines(out, w, h), len(lines) > h
}

// wrapHanging wraps a line to w cells on word boundaries (a word longer
// than the line, such as a fingerprint, is broken), indenting every
// continuation by the line's hang.
func wrapHanging(l detailLine, w int) []string {
	if ansi.StringWidth(l.text) <= w {
		return []string{l.text}
	}
	hang := l.hang
	if hang > w/2 {
		hang = 0 // too narrow to hang: use the whole width
	}
	head := ansi.Cut(l.text, 0, hang)
	body := strings.Split(ansi.Wrap(ansi.TruncateLeft(l.text, hang, ""), w-hang, ""), "\n")
	out := make([]string, 0, len(body))
	out = append(out, head+body[0])
	pad := strings.Repeat(" ", hang)
	for _, b := range body[1:] {
		out = append(out, pad+strings.TrimLeft(b, " "))
	}
	return carryStyles(out)
}

// carryStyles closes a style left open at the end of a wrapped line and
// reopens it on the next: panes are drawn beside the table, and an open
// colour would run into the table's next row.
func carryStyles(lines []string) []string {
	open := ""
	for i, l := range lines {
		next := openAfter(open, l)
		if open != "" {
			l = open + l
		}
		if next != "" {
			l += "\x1b[m"
		}
		lines[i], open = l, next
	}
	return lines
}

// openAfter is the SGR sequences in force after s, given those in force
// before it; a reset clears them.
func openAfter(open, s string) string {
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return open
		}
		s = s[i:]
		j := strings.IndexByte(s, 'm')
		if j < 0 {
			return open
		}
		seq := s[:j+1]
		if strings.IndexFunc(seq[2:j], func(r rune) bool { return (r < '0' || r > '9') && r != ';' && r != ':' }) >= 0 {
			s = s[2:] // not an SGR sequence
			continue
		}
		if seq == "\x1b[m" || seq == "\x1b[0m" {
			open = ""
		} else {
			open += seq
		}
		s = s[j+1:]
	}
}
