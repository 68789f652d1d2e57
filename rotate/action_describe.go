package rotate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Texts of plans and outcomes for the CLI, the console's dialog, flash
// and event log. None is sanitised: serials are hex, but names, paths,
// argv and a server's output come from the config or the far side, so
// every caller passes them through model.Sanitize at the terminal.

// Lines is the plan as --dry-run prints it and the dialog shows it: a
// heading, then one line per step (kind, target, exact argv, detail),
// the verification, what a failed verification does, the warnings.
func (p Plan) Lines() []string {
	head := fmt.Sprintf("%s %s", p.Kind, p.Subject)
	if p.Refusal != nil {
		// Nothing would run: no steps towards a target that is not
		// there ("swap current v0001 → "), only why.
		if p.OldVersion != "" {
			head += " (current " + p.OldVersion + ")"
		}
		return []string{head, "  " + p.Refusal.Error()}
	}
	switch {
	case p.OldVersion != "" || p.NewVersion != "":
		head += fmt.Sprintf(": %s → %s", orNone(p.OldVersion), orNone(p.NewVersion))
		if p.NewSerial != "" {
			head += fmt.Sprintf(" (serial %s → %s)", orNone(p.OldSerial), p.NewSerial)
		}
	case p.Kind == KindTicketRotate && p.NewSerial != "":
		// Key names, not serials; a bare --dir has no endpoints at all.
		head += ": " + ticketKeyChange(p.OldSerial, p.NewSerial)
	case p.NewSerial != "":
		head += fmt.Sprintf(": endpoints should serve %s", p.NewSerial)
	}
	lines := []string{head}
	for _, s := range p.Steps {
		lines = append(lines, "  "+s.Describe())
	}
	for _, t := range p.Verify {
		if p.Kind == KindTicketRotate {
			lines = append(lines, "  "+t.describeTicket(p.VerifyTimeout))
			continue
		}
		lines = append(lines, "  "+t.describe(p.VerifyTimeout))
	}
	if p.OnVerifyFail != "" {
		to := p.RollbackTo
		if to == "" {
			to = "its rollback target"
		}
		again := ""
		if p.hasReloads() {
			again = ", run the reloads again"
		}
		line := fmt.Sprintf("  if verification fails: roll %s back to %s%s and verify its serial", orNone(p.Bundle), to, again)
		if len(p.RollbackSkipped) > 0 {
			line += "; it passes over " + strings.Join(p.RollbackSkipped, ", ")
		}
		lines = append(lines, line)
	}
	for _, w := range p.Warnings {
		lines = append(lines, "  warning: "+w)
	}
	return lines
}

func (p Plan) hasReloads() bool {
	for _, s := range p.Steps {
		switch s.Kind {
		case KindPublish, KindRollback, KindPrune, "write":
		default:
			return true
		}
	}
	return false
}

func (t VerifyTarget) describe(timeout time.Duration) string {
	at := t.Endpoint
	if t.Address != "" && t.Address != t.Endpoint {
		at += " (" + t.Address + ")"
	}
	if t.Want == "" {
		return fmt.Sprintf("verify    %s answers a handshake (no bundle serves it), up to %s", at, timeout)
	}
	return fmt.Sprintf("verify    %s serves %s, probing with backoff up to %s", at, t.Want, timeout)
}

// Describe is one step on one line: kind, target, the exact argv (each
// argument quoted when it would not read as one word), detail.
func (s Step) Describe() string {
	parts := []string{fmt.Sprintf("%-9s", s.Kind)}
	if s.Target != "" {
		parts = append(parts, s.Target)
	}
	if len(s.Argv) > 0 {
		parts = append(parts, "argv: "+QuoteArgv(s.Argv))
	}
	line := strings.Join(parts, " ")
	if s.Detail != "" {
		line += " — " + s.Detail
	}
	return line
}

// QuoteArgv shows an argv so every argument can be told apart: plain
// words bare, anything else Go-quoted ("a b", "", "$HOME").
func QuoteArgv(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.IndexFunc(a, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./=:,@%+", c))
		}) < 0 {
			out[i] = a
		} else {
			out[i] = strconv.Quote(a)
		}
	}
	return strings.Join(out, " ")
}

// Lines is the outcome as the CLI prints it: the store change, each
// reload, one line per endpoint, the rollback leg indented, and the
// result last.
func (o *Outcome) Lines() []string {
	lines := legLines(o.Forward, "")
	if o.Back != nil {
		lines = append(lines, "automatic rollback (on_verify_fail: rollback):")
		lines = append(lines, legLines(*o.Back, "  ")...)
	}
	// A plain publish or prune that worked has said it all already.
	if o.OK() && len(lines) > 0 && len(o.Forward.Reloads) == 0 && len(o.Forward.Verify) == 0 {
		return lines
	}
	return append(lines, o.Summary())
}

func legLines(l Leg, indent string) []string {
	var lines []string
	if l.Store != nil {
		lines = append(lines, indent+l.Store.Describe())
	}
	if l.Pruned != nil {
		lines = append(lines, indent+l.Pruned.Describe())
	}
	for _, r := range l.Reloads {
		lines = append(lines, indent+r.Describe())
	}
	for _, v := range l.Verify {
		if l.Kind == KindTicketRotate {
			lines = append(lines, indent+v.describeTicket())
			continue
		}
		lines = append(lines, indent+v.Describe())
	}
	if l.Error != "" && l.Store == nil {
		lines = append(lines, indent+"error: "+l.Error)
	}
	return lines
}

// Summary is the outcome in one line, for the CLI's last line: the
// action, what happened and what is served now. A failed reload is named
// ("reload web-nginx failed"), not repeated: its own line above carries
// its error and the server's words (a failure is said once).
func (o *Outcome) Summary() string {
	return o.Kind + " " + o.Subject + ": " + o.result(func(r ReloadRun) string { return "reload " + r.Name + " failed" })
}

// Result is the outcome without the action's name, standing alone (the
// console's flash, which names the action already): "verified: 2/2
// endpoints serve 03a4…", "NOT VERIFIED (1/2): …", "ROLLED BACK: …",
// "ROLLBACK FAILED — …". No reload line is beside it, so a failed reload
// is said with the server's own words (ReloadRun.headline), once.
func (o *Outcome) Result() string { return o.result(ReloadRun.headline) }

// result is the outcome's words, each failed reload's error in o.Error
// said by say.
func (o *Outcome) result(say func(ReloadRun) string) string {
	verified, total := 0, len(o.Forward.Verify)
	for _, v := range o.Forward.Verify {
		if v.State == EndpointVerified {
			verified++
		}
	}
	why := o.sayReloads(say)
	switch o.State {
	case OutcomeOK:
		if o.Kind == KindTicketRotate {
			return o.ticketResult(verified, total)
		}
		if total > 0 {
			return fmt.Sprintf("verified: %d/%d %s %s", verified, total, plural(total, "endpoint"), serveVerb(total, o.Forward.Want))
		}
		return "done"
	case OutcomeRolledBack:
		return "ROLLED BACK: " + why
	case OutcomeRollbackFailed:
		return "ROLLBACK FAILED — what is served is unknown, check every endpoint: " + why
	case OutcomeUnverified:
		return fmt.Sprintf("NOT VERIFIED (%d/%d): %s", verified, total, strings.TrimPrefix(why, "not verified: "))
	}
	return o.State + ": " + why
}

// sayReloads is o.Error with each failed reload's error (as
// ReloadRun.failure says it, which the audit line keeps) said by say.
// A reload that failed the same way in both legs is in o.Error once.
func (o *Outcome) sayReloads(say func(ReloadRun) string) string {
	s := o.Error
	legs := []Leg{o.Forward}
	if o.Back != nil {
		legs = append(legs, *o.Back)
	}
	for _, l := range legs {
		for _, r := range l.Reloads {
			if d := r.failure(); !r.OK && strings.Contains(s, d) {
				s = strings.Replace(s, d, say(r), 1)
			}
		}
	}
	return s
}

func serveVerb(n int, serial string) string {
	verb := "serve"
	if n == 1 {
		verb = "serves"
	}
	if serial == "" {
		// Endpoints of different bundles, each verified against its own
		// bundle's serial (a batch reload of marked endpoints).
		if n == 1 {
			return verb + " its bundle's serial"
		}
		return verb + " their bundles' serials"
	}
	return verb + " " + serial
}

// formatTook is how long a step of an action took, as its result line
// says it: milliseconds under a second ("41ms", "<1ms": a signal is sent
// in microseconds, and "0s" read as if nothing was measured), then
// Duration's own form to the millisecond ("1.204s", "1m0s").
func formatTook(d time.Duration) string {
	switch {
	case d <= 0:
		return "0ms"
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return d.Round(time.Millisecond).String()
}
