package ui

import (
	"slices"
	"strings"

	"certdeck/model"
	"certdeck/rotate"
)

// A plan's reload steps as the dialog shows them: each names the
// configured reload it belongs to and the endpoints it is for ("exec
// nginx-a for web1, web2: argv: nginx -s reload — without a shell in /,
// timeout 30s"), and says its argv once. The engine's own step text
// (--dry-run) names the program twice and no reload: a plan reloading
// two nginx servers showed two identical "nginx argv: …" lines.

// reloadOwner is one configured reload of a plan and the endpoints it
// reloads there.
type reloadOwner struct {
	reload    model.Reload
	endpoints []string
}

// planReloads are the reloads a plan's verified endpoints are reloaded
// by, in the order their endpoints come (the engine's grouping order):
// an endpoint's own reload:, else its bundle's (the plan's bundle, or
// the one serving it), or for a ticket_keys pool the entry's.
func (m *Model) planReloads(p rotate.Plan) []*reloadOwner {
	f := m.opts.Fleet
	var out []*reloadOwner
	byName := map[string]*reloadOwner{}
	for _, t := range p.Verify {
		ep, ok := f.EndpointByName(t.Endpoint)
		if !ok {
			continue
		}
		var rn string
		if p.Kind == rotate.KindTicketRotate {
			if tk, ok := f.TicketKeysByName(p.Subject); ok {
				rn = model.ReloadFor(ep, model.Bundle{Reload: tk.Reload})
			}
		} else {
			b, ok := f.BundleByName(p.Bundle)
			if !ok {
				b, _ = f.BundleServing(t.Endpoint)
			}
			rn = model.ReloadFor(ep, b)
		}
		r, ok := f.ReloadByName(rn)
		if !ok {
			continue
		}
		o := byName[rn]
		if o == nil {
			o = &reloadOwner{reload: r}
			byName[rn] = o
			out = append(out, o)
		}
		o.endpoints = append(o.endpoints, t.Endpoint)
	}
	return out
}

// stepOwners pairs each step with the reload it belongs to (nil: a
// store step, or one no configured reload matches).
func stepOwners(steps []rotate.Step, owners []*reloadOwner) []*reloadOwner {
	out := make([]*reloadOwner, len(steps))
	for i, s := range steps {
		if s.Kind == "write" && i > 0 && out[i-1] != nil && out[i-1].reload.Kind == model.ReloadHAProxy {
			out[i] = out[i-1] // HAProxy's crt file, after its swap
			continue
		}
		var sameKind []*reloadOwner
		for _, o := range owners {
			if o.reload.Kind != s.Kind {
				continue
			}
			sameKind = append(sameKind, o)
			if ownsStep(o.reload, s) {
				out[i] = o
				break
			}
		}
		if out[i] == nil && len(sameKind) == 1 {
			out[i] = sameKind[0] // the only reload of its kind (an URL spelt differently)
		}
	}
	return out
}

// ownsStep reports whether step s is what reload r runs.
func ownsStep(r model.Reload, s rotate.Step) bool {
	switch r.Kind {
	case model.ReloadExec:
		return slices.Equal(r.Exec, s.Argv)
	case model.ReloadSSH:
		return slices.Equal(r.Command, s.Argv)
	case model.ReloadHTTP:
		return r.HTTP.URL == s.Target
	case model.ReloadSignal:
		return r.PIDFile == s.Target
	case model.ReloadHAProxy:
		return r.HAProxy.Socket == s.Target
	}
	return false
}

// stepLine is one step of the dialog: the engine's own text for a store
// step, else the kind, the reload and its endpoints, then what runs,
// each thing said once.
func stepLine(s rotate.Step, o *reloadOwner) string {
	if o == nil {
		return s.Describe()
	}
	head := padKind(s.Kind) + o.reload.Name + " for " + listNames(o.endpoints, 3) + ": "
	detail := s.Detail
	if n, ep, rest, ok := memberStep(detail, o.endpoints); ok {
		// A pool rotation reloads one member per step, in a phase.
		head, detail = padKind(s.Kind)+o.reload.Name+" (phase "+n+", "+ep+"): ", rest
	}
	if s.Kind == model.ReloadExec && len(s.Argv) > 0 {
		// The engine's detail is "run <argv> without a shell in DIR,
		// timeout T": the argv is said once, quoted.
		body := "argv: " + rotate.QuoteArgv(s.Argv)
		if _, rest, ok := strings.Cut(detail, " without a shell"); ok {
			return head + body + " — without a shell" + rest
		}
		if detail == "run "+strings.Join(s.Argv, " ") {
			return head + body
		}
		return head + body + " — " + detail
	}
	var parts []string
	if s.Target != "" && !strings.Contains(detail, s.Target) {
		parts = append(parts, s.Target)
	}
	if len(s.Argv) > 0 {
		parts = append(parts, "argv: "+rotate.QuoteArgv(s.Argv))
	}
	body := strings.Join(parts, " ")
	switch {
	case body == "":
		body = detail
	case detail != "":
		body += " — " + detail
	}
	return head + body
}

// memberStep splits a pool rotation's step detail, "phase 1, edge-1:
// …", into its phase, member (one of members) and the reload's own
// detail.
func memberStep(detail string, members []string) (phase, member, rest string, ok bool) {
	after, found := strings.CutPrefix(detail, "phase ")
	if !found {
		return "", "", "", false
	}
	phase, tail, found := strings.Cut(after, ", ")
	if !found || phase == "" || strings.Trim(phase, "0123456789") != "" {
		return "", "", "", false
	}
	for _, ep := range members {
		if r, found := strings.CutPrefix(tail, ep+": "); found {
			return phase, ep, r, true
		}
	}
	return "", "", "", false
}

// padKind is a step's kind in the plan's 9-wide column and a space.
func padKind(kind string) string {
	if len(kind) >= 9 {
		return kind + " "
	}
	return kind + strings.Repeat(" ", 10-len(kind))
}
