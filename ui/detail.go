package ui

import (
	"fmt"
	"strings"
	"time"

	"certdeck/model"
	"certdeck/themes"
)

// Detail is the endpoint's detail pane: every probe field, the whole
// chain with full serials, OCSP, client certificates, tickets and recent
// events.
func (f *fleetSection) Detail() []detailLine {
	es, ok := f.selection()
	if !ok {
		return nil
	}
	st := f.ctx.Styles
	now := f.ctx.Now()
	ep := es.Endpoint
	d := &details{st: st}
	status := statusStyle(st, es.Verdict.Status)

	d.add(st.Title.Render(clean(ep.Name))+"  "+status.Render(statusLabel(es.Verdict.Status)), 0)
	for _, r := range es.Verdict.Reasons {
		d.bullet(status.Render(clean(r)))
	}
	d.kv("address", clean(ep.Target.String()))
	if ep.SNI != "" {
		d.kv("SNI", clean(ep.SNI))
	}
	if ep.Group != "" {
		d.kv("group", clean(ep.Group))
	}
	o := es.Last
	if o == nil {
		if es.InFlight {
			d.kv("probe", "in flight")
		} else {
			d.kv("probe", "not probed yet")
		}
		return d.lines
	}
	d.kv("probed", fmt.Sprintf("%s (%s ago) · latency %s", o.Time.Format(time.TimeOnly), formatAge(now.Sub(o.Time)), formatLatency(o.Latency)))
	if o.IP != "" {
		d.kv("IP", clean(o.IP))
	}
	if o.Failed() {
		d.kv("error", st.Error.Render(string(o.ErrKind)+": "+clean(o.Error)))
	}
	if b := es.Backoff; b.BackingOff(now) {
		d.kv("next probe", st.Warn.Render(fmt.Sprintf("%s (%d failures in a row; r probes now)", backoffLabel(b, now), b.Failures)))
	}
	f.addressLines(d, es, now)
	if o.TLSVersion != "" {
		proto := o.TLSVersion + " · " + o.Cipher
		if o.ALPN != "" {
			proto += " · ALPN " + clean(o.ALPN)
		}
		d.kv("TLS", proto)
	}
	if !o.Failed() {
		verify := st.OK.Render("chain verifies")
		if !o.Verified {
			verify = st.Crit.Render("does not verify: " + clean(o.VerifyError))
		}
		host := st.OK.Render("host name matches")
		if !o.HostnameOK {
			host = st.Crit.Render("host name does not match")
		}
		d.kv("verify", verify+" · "+host)
		for _, p := range o.ChainProblems {
			d.kv("", st.Warn.Render("chain order: "+clean(p)))
		}
		f.ocspLines(d, o.OCSP, now)
	}
	if o.ClientCert != (model.ClientCertInfo{}) || !o.Failed() {
		d.kv("client cert", clientCertLabel(st, o.ClientCert))
	}
	chain := o.Chain
	if len(chain) == 0 && es.LastGood != nil {
		chain = es.LastGood.Chain
		d.heading("Last certificate seen" + st.Muted.Render(fmt.Sprintf(" (%s ago)", formatAge(now.Sub(es.LastGood.Time)))))
	} else if len(chain) > 0 {
		d.heading(fmt.Sprintf("Chain (%d)", len(chain)))
	}
	for i, c := range chain {
		role := "leaf"
		if i > 0 {
			role = "CA"
			if !c.IsCA {
				role = "cert"
			}
		}
		d.add(st.Accent.Render(fmt.Sprintf("%d %s", i, role))+" "+clean(c.Subject), 2)
		d.kv("  serial", c.Serial)
		d.kv("  SHA-256", c.SHA256)
		d.kv("  issuer", clean(c.Issuer))
		d.kv("  valid", fmt.Sprintf("%s → %s (%s left)", c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), formatLeft(c.NotAfter, now)))
		d.kv("  key", c.Key+" · "+c.SigAlg)
		if len(c.SANs) > 0 {
			d.kv("  SANs", clean(strings.Join(c.SANs, ", ")))
		}
	}
	d.heading("Session tickets")
	f.ticketLines(d, es, now)
	d.events(f.ctx.Events, ep.Name)
	return d.lines
}

// addressLines lists, for an endpoint probed at every address of its
// name, what each address serves and how it is judged.
func (f *fleetSection) addressLines(d *details, es *model.EndpointState, now time.Time) {
	st := d.st
	if len(es.Last.Addresses) == 0 {
		return
	}
	d.heading(fmt.Sprintf("Addresses (%d)", len(es.Last.Addresses)))
	for _, a := range es.Last.Addresses {
		v := model.ClassifyEndpoint(a, es.Endpoint.Thresholds, now)
		line := statusStyle(st, v.Status).Render(statusLabel(v.Status)) + " " + clean(a.IP)
		switch leaf := a.Leaf(); {
		case a.Failed():
			line += " " + st.Error.Render(string(a.ErrKind)+": "+clean(a.Error))
		case leaf != nil:
			line += fmt.Sprintf(" serial %s · expires %s (%s left)", leaf.Serial, leaf.NotAfter.Format(time.DateOnly), formatLeft(leaf.NotAfter, now))
		}
		d.add(line, 2)
		if len(v.Reasons) > 0 && !a.Failed() {
			d.kv("", statusStyle(st, v.Status).Render(clean(v.Reasons[0])))
		}
	}
}

// ocspLines says what a stapled OCSP response says, and when.
func (f *fleetSection) ocspLines(d *details, o model.OCSPInfo, now time.Time) {
	st := d.st
	when := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
	var s string
	switch {
	case !o.Stapled:
		d.kv("OCSP", st.Muted.Render("not stapled"))
		return
	case o.Error != "":
		s = st.Warn.Render("stapled, not trusted: " + clean(o.Error))
	case o.Status == model.OCSPGood:
		s = st.OK.Render("good")
	case o.Status == model.OCSPRevoked:
		s = "REVOKED"
		if !o.RevokedAt.IsZero() {
			s += " " + when(o.RevokedAt)
		}
		if o.Reason != "" {
			s += " (" + clean(o.Reason) + ")"
		}
		s = st.Crit.Render(s)
	case o.Status == model.OCSPUnknown:
		s = st.Warn.Render("unknown: the responder does not know this certificate")
	default:
		s = clean(o.Status)
	}
	d.kv("OCSP", s+st.Muted.Render(" (stapled)"))
	if !o.ThisUpdate.IsZero() {
		d.kv("  updated", when(o.ThisUpdate))
	}
	if !o.NextUpdate.IsZero() {
		next := when(o.NextUpdate)
		if now.After(o.NextUpdate) {
			next = st.Warn.Render(next + ": passed, the staple is stale")
		}
		d.kv("  next", next)
	}
}

// clientCertLabel says whether the server asked for a client
// certificate, insisted on one, and whether the probe sent one.
func clientCertLabel(st *themes.Styles, c model.ClientCertInfo) string {
	switch {
	case !c.Requested && !c.Required:
		return st.Muted.Render("not requested")
	case c.Sent && c.Required:
		return st.Warn.Render("required; the configured client_cert was sent and refused")
	case c.Sent:
		return st.OK.Render("requested; the configured client_cert was sent")
	case c.Required:
		return st.Warn.Render("required; none configured (the server refuses connections without one)")
	}
	return "requested (optional); none sent"
}

// ticketLines lists the session-ticket kind, resumption and the key names
// seen, each with the digits that tell them apart.
func (f *fleetSection) ticketLines(d *details, es *model.EndpointState, now time.Time) {
	st := d.st
	o := es.Last
	t := o.Ticket
	switch kind := ticketKind(t); {
	case o.Failed():
		d.add(st.Muted.Render("unknown (probe failed)"), 0)
	case kind == model.TicketNone:
		d.kv("kind", "none: no ticket issued")
	case kind == model.TicketNamed:
		d.kv("kind", "named: the ticket names its encrypting key (OpenSSL-style)")
	case kind == model.TicketOpaque:
		d.kv("kind", "opaque: encrypted tickets that name no key (a Go server or similar)")
	case kind == model.TicketStateful:
		d.kv("kind", "stateful: short handles into the server's session cache")
	case kind == model.TicketSessionID:
		d.kv("kind", "session-id: no ticket; resumption by TLS 1.2 session ID")
	default:
		d.kv("kind", clean(string(kind)))
	}
	if t.ResumeChecked {
		res := st.OK.Render("resumes")
		if !t.Resumed {
			res = st.Warn.Render("does not resume")
		}
		if at := t.ResumeCheckedAt; !at.IsZero() && at.Before(o.Time) {
			// A reused answer (the key name has not changed since).
			res += st.Muted.Render(fmt.Sprintf(" (checked %s ago, same ticket key)", formatAge(now.Sub(at))))
		}
		d.kv("resumption", res)
	} else if !o.Failed() && ticketKind(t) != model.TicketNone {
		d.kv("resumption", st.Muted.Render("not checked"))
	}
	names := make([]string, 0, len(es.Tickets))
	for _, s := range es.Tickets {
		names = append(names, s.KeyName)
	}
	digits := uniqueTails(names, f.keyDigits, nil)
	for i := len(es.Tickets) - 1; i >= 0; i-- {
		s := es.Tickets[i]
		cur := ""
		if s.KeyName == t.KeyName {
			cur = st.Accent.Render(" current")
		}
		d.kv("key", fmt.Sprintf("%s first %s · last %s (age %s)%s", serialLabel(s.KeyName, digits),
			s.FirstSeen.Format(time.TimeOnly), s.LastSeen.Format(time.TimeOnly), formatAge(now.Sub(s.FirstSeen)), cur))
	}
}
