package ui

import (
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// The `:` command line (k9s users type `:` first). It is a mode of its
// own: every printable key is text here, so nothing typed into it ever
// triggers an action; enter runs the line, esc cancels it, tab completes
// the word being typed, up/down walk the history.

// historySize bounds the command history.
const historySize = 100

// hintsShown is how many completions the prompt lists.
const hintsShown = 8

// cmdLine is the command line's state; Update edits it, View only reads.
type cmdLine struct {
	text string
	// history holds the lines run, oldest first; hist is the entry shown
	// while walking it (len(history) when not), draft what was typed
	// before the walk started.
	history []string
	hist    int
	draft   string
	// cycle is the candidates tab steps through when they share no longer
	// prefix than the word typed; nil after any other key.
	cycle *completion
	// hints are the completions of the word being typed (at most
	// hintsShown), more how many others there are: computed on each edit,
	// so View never scans the fleet.
	hints []string
	more  int
}

// completion is a tab cycle: the line before the word, the candidates,
// and which one is shown.
type completion struct {
	head  string
	cands []string
	i     int
}

// openCommand opens the command line.
func (m *Model) openCommand() {
	c := &m.cmd
	c.text, c.hist, c.draft, c.cycle = "", len(c.history), "", nil
	m.back, m.mode = m.mode, modeCommand
	m.updateHints()
}

// closeCommand leaves the command line for the mode it was opened from.
func (m *Model) closeCommand() {
	m.mode = m.back
	if m.mode == modeCommand || m.mode == modeConfirm || m.mode == modeHelp {
		m.mode = modeNormal
	}
	m.relayout()
}

// keyCommand edits the line. ctrl+c still quits (handleKey, before).
func (m *Model) keyCommand(msg tea.KeyPressMsg) tea.Cmd {
	c := &m.cmd
	k := msg.String()
	if k != "tab" {
		c.cycle = nil
	}
	switch k {
	case "esc":
		m.closeCommand()
		return nil
	case "enter":
		line := strings.TrimSpace(c.text)
		m.remember(line)
		m.closeCommand()
		if line == "" {
			return nil
		}
		return m.runCommand(line)
	case "tab":
		m.complete()
	case "up":
		if c.hist > 0 {
			if c.hist == len(c.history) {
				c.draft = c.text
			}
			c.hist--
			c.text = c.history[c.hist]
		}
	case "down":
		if c.hist < len(c.history) {
			c.hist++
			c.text = c.draft
			if c.hist < len(c.history) {
				c.text = c.history[c.hist]
			}
		}
	case "backspace":
		if r := []rune(c.text); len(r) > 0 {
			c.text = string(r[:len(r)-1])
		} else {
			// Backspace on an empty line leaves it, as in vim and k9s.
			m.closeCommand()
			return nil
		}
	case "ctrl+u":
		c.text = ""
	case "ctrl+w":
		c.text = strings.TrimRight(c.text, " ")
		if i := strings.LastIndexByte(c.text, ' '); i >= 0 {
			c.text = c.text[:i+1]
		} else {
			c.text = ""
		}
	case "space":
		c.text += " "
	default:
		if msg.Text != "" && !strings.ContainsFunc(msg.Text, isControl) {
			c.text += msg.Text
		}
	}
	m.updateHints()
	return nil
}

// remember adds a line to the history (not twice in a row).
func (m *Model) remember(line string) {
	c := &m.cmd
	if line != "" && (len(c.history) == 0 || c.history[len(c.history)-1] != line) {
		c.history = append(c.history, line)
		if len(c.history) > historySize {
			c.history = slices.Delete(c.history, 0, len(c.history)-historySize)
		}
	}
	c.hist = len(c.history)
}

// splitWord cuts the line before the word being typed from that word.
func splitWord(line string) (head, word string) {
	i := strings.LastIndexByte(line, ' ')
	return line[:i+1], line[i+1:]
}

// candidates are the completions of the word being typed: command names
// for the first word, else what the command takes at that position.
func (m *Model) candidates() []string {
	head, word := splitWord(m.cmd.text)
	args := strings.Fields(head)
	var all []string
	if len(args) == 0 {
		for _, c := range m.commands() {
			if c.offered() {
				all = append(all, c.name)
			}
		}
	} else if c := m.findCommand(args[0]); c != nil && c.offered() && c.complete != nil {
		all = c.complete(m, len(args)-1)
	}
	var out []string
	for _, s := range all {
		if strings.HasPrefix(strings.ToLower(s), strings.ToLower(word)) && !slices.Contains(args[min(1, len(args)):], s) {
			out = append(out, s)
		}
	}
	return out
}

// updateHints recomputes the completions the prompt lists.
func (m *Model) updateHints() {
	c := &m.cmd
	if c.cycle != nil {
		// Stepping through with tab: list the choices, from the one shown.
		cands := append(slices.Clone(c.cycle.cands[c.cycle.i:]), c.cycle.cands[:c.cycle.i]...)
		c.hints = cands[:min(len(cands), hintsShown)]
		c.more = len(cands) - len(c.hints)
		return
	}
	cands := m.candidates()
	if _, word := splitWord(c.text); word == "" && strings.TrimSpace(c.text) != "" && len(cands) > hintsShown*4 {
		// Thousands of endpoint names say nothing until a letter is typed.
		c.hints, c.more = nil, len(cands)
		return
	}
	c.hints = cands[:min(len(cands), hintsShown)]
	c.more = len(cands) - len(c.hints)
}

// complete is tab: one candidate is taken whole (and a space added);
// several extend the word to what they share, and when they share no
// more, each tab shows the next one. When the shared prefix is itself a
// candidate (`web`, beside web1 and web2) the next tab moves on from it:
// showing it again looked like a tab that did nothing.
func (m *Model) complete() {
	c := &m.cmd
	if c.cycle != nil {
		c.cycle.i = (c.cycle.i + 1) % len(c.cycle.cands)
		c.text = c.cycle.head + c.cycle.cands[c.cycle.i]
		return
	}
	head, word := splitWord(c.text)
	cands := m.candidates()
	switch {
	case len(cands) == 0:
		return
	case len(cands) == 1:
		c.text = head + cands[0] + " "
		return
	}
	if p := commonPrefix(cands); len(p) > len(word) {
		c.text = head + p
		return
	}
	c.cycle = &completion{head: head, cands: cands}
	if i := slices.Index(cands, word); i >= 0 {
		c.cycle.i = (i + 1) % len(cands)
	}
	c.text = head + cands[c.cycle.i]
}

// commonPrefix is the longest prefix every string shares, in whole runes.
func commonPrefix(ss []string) string {
	p := []rune(ss[0])
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, string(p)) {
			p = p[:len(p)-1]
		}
	}
	return string(p)
}

// renderCommand is the prompt in the footer: the line, a cursor, and the
// completions of the word being typed.
func (m *Model) renderCommand(w int) string {
	st := m.ctx.Styles
	c := &m.cmd
	line := st.Accent.Render(":") + clean(c.text) + "█"
	var hints string
	if len(c.hints) > 0 {
		hints = strings.Join(c.hints, " · ")
		if c.more > 0 {
			hints += " · …"
		}
	} else if c.more > 0 {
		hints = "type a letter, then tab"
	}
	tail := "  tab completes · enter runs · esc cancels"
	if hints != "" {
		tail = "   " + clean(hints) + "  (tab)"
	}
	return fit(line+st.Muted.Render(tail), w)
}
