package ui

import (
	"fmt"
	"strings"
	"time"

	"certdeck/model"

	"github.com/charmbracelet/x/ansi"
)

// detailEvents is how many recent events the detail pane lists.
const detailEvents = 8

// renderDetail is the detail pane for the selected endpoint: every probe
// field, the whole chain, tickets and recent events, scrolled by
// detailScroll and cut to exactly w x h.
func (m *Model) renderDetail(w, h int) []string {
	var content []string
	if es := m.selected(); es != nil {
		content = m.detailLines(es)
	} else if bs := m.selectedBundle(); bs != nil {
		content = m.bundleDetailLines(bs)
	} else {
		return padLines([]string{m.ctx.Styles.Muted.Render("nothing selected")}, w, h)
	}
	var lines []string
	for _, l := range content {
		// Long values (fingerprints, errors) wrap rather than vanish.
		lines = append(lines, wrapIndented(l, max(1, w-1), detailIndent)...)
	}
	scroll := min(m.detailScroll, max(0, len(lines)-h))
	lines = lines[scroll:]
	out := make([]string, 0, h)
	for _, l := range lines {
		out = append(out, " "+l)
	}
	return padLines(out, w, h)
}

func (m *Model) detailLines(es *model.EndpointState) []string {
	st := m.ctx.Styles
	now := m.ctx.Now()
	ep := es.Endpoint
	label := func(k string) string { return st.Muted.Render(fmt.Sprintf("%-10s", k)) }
	var l []string
	add := func(k, v string) { l = append(l, label(k)+" "+v) }

	l = append(l, st.Title.Render(clean(ep.Name))+"  "+statusStyle(st, es.Verdict.Status).Render(statusLabel(es.Verdict.Status)))
	for _, r := range es.Verdict.Reasons {
		l = append(l, "  "+statusStyle(st, es.Verdict.Status).Render("• "+clean(r)))
	}
	add("address", clean(ep.Target.String()))
	if ep.SNI != "" {
		add("SNI", clean(ep.SNI))
	}
	if ep.Group != "" {
		add("group", clean(ep.Group))
	}
	o := es.Last
	if o == nil {
		if es.InFlight {
			add("probe", "in flight")
		} else {
			add("probe", "not probed yet")
		}
		return l
	}
	add("probed", fmt.Sprintf("%s (%s ago) · latency %s", o.Time.Format(time.TimeOnly), formatAge(now.Sub(o.Time)), formatLatency(o.Latency)))
	if o.IP != "" {
		add("IP", clean(o.IP))
	}
	if o.Failed() {
		add("error", st.Error.Render(string(o.ErrKind)+": "+clean(o.Error)))
	}
	if o.TLSVersion != "" {
		proto := o.TLSVersion + " · " + o.Cipher
		if o.ALPN != "" {
			proto += " · ALPN " + clean(o.ALPN)
		}
		add("TLS", proto)
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
		add("verify", verify+" · "+host)
		for _, p := range o.ChainProblems {
			add("", st.Warn.Render("chain order: "+clean(p)))
		}
		add("OCSP", ocspLabel(o.OCSP))
	}
	chain := o.Chain
	if len(chain) == 0 && es.LastGood != nil {
		chain = es.LastGood.Chain
		l = append(l, "", st.Title.Render("Last certificate seen")+st.Muted.Render(fmt.Sprintf(" (%s ago)", formatAge(now.Sub(es.LastGood.Time)))))
	} else if len(chain) > 0 {
		l = append(l, "", st.Title.Render(fmt.Sprintf("Chain (%d)", len(chain))))
	}
	for i, c := range chain {
		role := "leaf"
		if i > 0 {
			role = "CA"
			if !c.IsCA {
				role = "cert"
			}
		}
		l = append(l, st.Accent.Render(fmt.Sprintf("%d %s", i, role))+" "+clean(c.Subject))
		add("  serial", c.Serial)
		add("  SHA-256", c.SHA256)
		add("  issuer", clean(c.Issuer))
		add("  valid", fmt.Sprintf("%s → %s (%s left)", c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), formatLeft(c.NotAfter, now)))
		add("  key", c.Key+" · "+c.SigAlg)
		if len(c.SANs) > 0 {
			add("  SANs", clean(strings.Join(c.SANs, ", ")))
		}
	}
	l = append(l, "", st.Title.Render("Session tickets"))
	l = append(l, m.ticketLines(es, label)...)
	l = append(l, "", st.Title.Render("Recent events"))
	evs := m.ring.LastFor(ep.Name, detailEvents)
	if len(evs) == 0 {
		l = append(l, st.Muted.Render("none"))
	}
	for _, c := range evs {
		l = append(l, st.Muted.Render(c.Time.Format(time.TimeOnly))+" "+st.Accent.Render(string(c.Kind))+" "+clean(c.Message))
	}
	return l
}

func (m *Model) ticketLines(es *model.EndpointState, label func(string) string) []string {
	st := m.ctx.Styles
	now := m.ctx.Now()
	o := es.Last
	var l []string
	t := o.Ticket
	switch {
	case o.Failed():
		l = append(l, st.Muted.Render("unknown (probe failed)"))
	case !t.Issued:
		l = append(l, "no ticket issued")
	case t.Opaque:
		l = append(l, "opaque tickets (no key name: a Go server or similar)")
	}
	if t.ResumeChecked {
		res := st.OK.Render("resumes")
		if !t.Resumed {
			res = st.Warn.Render("does not resume")
		}
		l = append(l, label("resumption")+" "+res)
	} else if t.Issued {
		l = append(l, label("resumption")+" "+st.Muted.Render("not checked"))
	}
	for i := len(es.Tickets) - 1; i >= 0; i-- {
		s := es.Tickets[i]
		cur := ""
		if s.KeyName == t.KeyName {
			cur = st.Accent.Render(" current")
		}
		l = append(l, fmt.Sprintf("%s %s first %s · last %s (age %s)%s", label("key"), model.ShortSerial(s.KeyName),
			s.FirstSeen.Format(time.TimeOnly), s.LastSeen.Format(time.TimeOnly), formatAge(now.Sub(s.FirstSeen)), cur))
	}
	return l
}

func ocspLabel(o model.OCSPInfo) string {
	if !o.Stapled {
		return "not stapled"
	}
	s := "stapled, " + clean(o.Status)
	if !o.NextUpdate.IsZero() {
		s += ", next update " + o.NextUpdate.Format(time.DateOnly)
	}
	return s
}

// detailIndent lines continuation of a wrapped value up under the value.
const detailIndent = 11

// wrapIndented hard-wraps a line to w cells, indenting continuations.
func wrapIndented(l string, w, indent int) []string {
	if ansi.StringWidth(l) <= w || w <= indent+8 {
		return strings.Split(ansi.Hardwrap(l, w, true), "\n")
	}
	first := ansi.Truncate(l, w, "")
	rest := ansi.TruncateLeft(l, w, "")
	out := []string{first}
	for _, r := range strings.Split(ansi.Hardwrap(rest, w-indent, true), "\n") {
		out = append(out, strings.Repeat(" ", indent)+r)
	}
	return out
}
