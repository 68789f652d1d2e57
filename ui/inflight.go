package ui

import (
	"fmt"
	"strings"
	"time"

	"certdeck/model"
	"certdeck/rotate"
	"certdeck/themes"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// The actions in flight as the console shows them: the header says what
// runs and since when, the affected rows how far it got ("verifying
// 2/3"). The board is the engine's in-flight registry as read in Update
// (on each progress report and each tick); View only looks a row up in
// a map.

// progressState colours a row's progress text.
type progressState int

const (
	progressOn progressState = iota
	progressOK
	progressBad
)

// rowProgress is what an affected row shows instead of its usual cell.
type rowProgress struct {
	text  string
	state progressState
}

// actionBoard is every action in flight and what each affected row says.
type actionBoard struct {
	running   []rotate.Running // oldest first
	header    []string         // each running action's phase, as the header says it
	endpoints map[string]rowProgress
	bundles   map[string]rowProgress
	tickets   map[string]rowProgress // ticket_keys entries being rotated
	// cancelled are the actions :cancel stopped (by actionKey): their
	// outcome says "cancelled by you".
	cancelled map[string]bool
}

func newActionBoard() *actionBoard {
	return &actionBoard{endpoints: map[string]rowProgress{}, bundles: map[string]rowProgress{}, tickets: map[string]rowProgress{},
		cancelled: map[string]bool{}}
}

// takeCancelled reports whether :cancel stopped the action key, and
// forgets it.
func (b *actionBoard) takeCancelled(key string) bool {
	ok := b.cancelled[key]
	delete(b.cancelled, key)
	return ok
}

// set replaces the board with a registry snapshot; back says how far an
// action's automatic rollback got (nil: none runs).
func (b *actionBoard) set(running []rotate.Running, back func(key string) *backLeg) {
	b.running = running
	b.header = b.header[:0]
	clear(b.endpoints)
	clear(b.bundles)
	clear(b.tickets)
	for _, r := range running {
		leg := back(actionKey(r.Kind, r.Subject))
		targets := map[string]rotate.Progress{}
		for _, t := range r.Targets {
			targets[t.Target] = t
		}
		phase := actionPhase(r, leg)
		b.header = append(b.header, phase)
		for _, c := range r.Claims {
			switch kind, name, _ := strings.Cut(c, " "); kind {
			case "bundle":
				b.bundles[name] = rowProgress{text: phase}
			case "ticket_keys":
				b.tickets[name] = rowProgress{text: phase}
			case "endpoint":
				b.endpoints[name] = endpointProgress(r, targets[name], phase, leg)
			}
		}
	}
}

// actionPhase is where an action stands, in a few words: its steps run
// ("reload running…"), its endpoints are verified ("verifying 1/3"), its
// automatic rollback runs, and then verifies the previous serial.
func actionPhase(r rotate.Running, leg *backLeg) string {
	switch {
	case leg != nil && leg.verifying:
		return fmt.Sprintf("rolled back, verifying %d/%d", r.Done, r.Total)
	case leg != nil:
		return "rolling back…"
	case r.Total > 0:
		return fmt.Sprintf("verifying %d/%d", r.Done, r.Total)
	}
	return clean(r.Kind) + " running…"
}

// endpointProgress is one affected endpoint's row: its own verification
// when it has reported in the leg that runs, else the action's phase.
func endpointProgress(r rotate.Running, p rotate.Progress, phase string, leg *backLeg) rowProgress {
	if leg != nil && !leg.targets[p.Target] {
		return rowProgress{text: phase} // what it reported was the forward leg
	}
	count := fmt.Sprintf("%d/%d", r.Done, r.Total)
	switch p.Phase {
	case rotate.PhaseVerified:
		if leg != nil {
			return rowProgress{text: "rolled back, verified (" + count + ")", state: progressOK}
		}
		return rowProgress{text: "verified (" + count + ")", state: progressOK}
	case rotate.PhaseFailed:
		// The message names the endpoint first ("web2: still serving …"):
		// its own row says that already.
		msg := p.Message
		if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, p.Target+": ") {
			msg = rest
		}
		return rowProgress{text: "not verified: " + clean(inWords(msg)), state: progressBad}
	}
	if r.Kind == rotate.KindTicketRotate && p.Message != "" {
		// A pool rotation's member says its phase: "phase 1: reload edge".
		return rowProgress{text: clean(p.Message)}
	}
	return rowProgress{text: phase}
}

// endpoint and bundle are a row's progress, if an action affects it.
func (b *actionBoard) endpoint(name string) (rowProgress, bool) {
	if len(b.endpoints) == 0 {
		return rowProgress{}, false
	}
	p, ok := b.endpoints[name]
	return p, ok
}

// ticket is a ticket_keys row's progress, if a rotation runs on it.
func (b *actionBoard) ticket(name string) (rowProgress, bool) {
	if len(b.tickets) == 0 {
		return rowProgress{}, false
	}
	p, ok := b.tickets[name]
	return p, ok
}

func (b *actionBoard) bundle(name string) (rowProgress, bool) {
	if len(b.bundles) == 0 {
		return rowProgress{}, false
	}
	p, ok := b.bundles[name]
	return p, ok
}

// headerText is what the header says runs, in at most room cells: the
// oldest action, where it stands and since when, and how many others
// run; when that does not fit, the clock time goes first, then the
// subject is cut.
func (b *actionBoard) headerText(now time.Time, room int) string {
	if len(b.running) == 0 {
		return ""
	}
	r := b.running[0]
	more := ""
	if n := len(b.running) - 1; n > 0 {
		more = fmt.Sprintf(" (+%d more)", n)
	}
	age := formatAge(now.Sub(r.Started))
	s := fmt.Sprintf("▶ %s %s: %s · since %s (%s)%s", clean(r.Kind), clean(r.Subject), b.header[0],
		r.Started.Format(time.TimeOnly), age, more)
	if width(s) <= room {
		return s
	}
	tail := fmt.Sprintf(": %s · %s%s", b.header[0], age, more)
	head := "▶ " + clean(r.Kind) + " "
	return head + ansi.Truncate(clean(r.Subject), max(1, room-width(head)-width(tail)), "…") + tail
}

// progressStyle is the style of a row's progress text.
func progressStyle(st *themes.Styles, s progressState) *lipgloss.Style {
	switch s {
	case progressOK:
		return &st.OK
	case progressBad:
		return &st.Crit
	}
	return &st.Accent
}

// An action on a busy item is refused at the key, before any plan or
// dialog: the engine's registry would refuse it at y anyway, after the
// operator read a plan for nothing. What an action will hold is worked
// out from the fleet, spelt as the registry spells its claims ("bundle
// web", "endpoint web-1", "reload web-nginx", "ticket_keys edge"); the
// engine's own refusal at Run stays behind this for an action that
// starts in between.

func claimOf(kind, name string) string { return kind + " " + name }

// bundleClaims are what an action on bundle b holds: b and the endpoints
// it serves, and when it reloads them, their reloads.
func bundleClaims(f *model.Fleet, b model.Bundle, reloads bool) []string {
	claims := []string{rotate.BundleClaim(b.Name)}
	for _, name := range b.Serves {
		claims = append(claims, rotate.EndpointClaim(name))
		if ep, ok := f.EndpointByName(name); ok && reloads {
			if rn := model.ReloadFor(ep, b); rn != "" {
				claims = append(claims, claimOf("reload", rn))
			}
		}
	}
	return claims
}

// endpointClaims are what a reload of endpoint name holds: it and its
// reload.
func endpointClaims(f *model.Fleet, name string) []string {
	claims := []string{rotate.EndpointClaim(name)}
	if ep, ok := f.EndpointByName(name); ok {
		b, _ := f.BundleServing(name)
		if rn := model.ReloadFor(ep, b); rn != "" {
			claims = append(claims, claimOf("reload", rn))
		}
	}
	return claims
}

// subjectClaims are what :reload NAME holds, NAME read as the engine
// reads it (bundle/NAME, endpoint/NAME, else whichever exists).
func subjectClaims(f *model.Fleet, subject string) []string {
	if name, ok := strings.CutPrefix(subject, "bundle/"); ok {
		subject = name
	} else if name, ok := strings.CutPrefix(subject, "endpoint/"); ok {
		return endpointClaims(f, name)
	}
	var claims []string
	if b, ok := f.BundleByName(subject); ok {
		claims = bundleClaims(f, b, true)
	}
	if _, ok := f.EndpointByName(subject); ok {
		claims = append(claims, endpointClaims(f, subject)...)
	}
	return claims
}

// ticketClaims are what a rotation of tk holds: tk and its members.
func ticketClaims(tk model.TicketKeys) []string {
	claims := []string{claimOf("ticket_keys", tk.Name)}
	for _, ep := range tk.Serves {
		claims = append(claims, rotate.EndpointClaim(ep))
	}
	return claims
}

// refuseBusy says, for what ("publish legacy"), which action holds one
// of claims and since when, and reports true; false when the registry
// holds none of them. It only reads the registry (a map under a mutex):
// Update may call it.
func (m *Model) refuseBusy(what string, claims []string) bool {
	reg := m.opts.Engine.Registry()
	for _, c := range claims {
		if r, ok := reg.Holding(c); ok {
			text := clean(what + ": " + (&rotate.BusyError{Claim: c, Holder: r}).Error())
			m.setFlash(text)
			// A refusal, with who holds the item and since when: it is
			// longer than the footer, so it is kept whole in the log.
			_, subject, _ := strings.Cut(what, " ")
			m.logFlash(subject, model.ChangeAction, text)
			return true
		}
	}
	return false
}
