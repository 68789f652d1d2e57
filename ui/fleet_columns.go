package ui

import (
	"cmp"
	"strings"
	"time"

	"certdeck/model"

	"charm.land/lipgloss/v2"
)

// changedFor is how long a changed serial stays highlighted.
const changedFor = 2 * time.Minute

type endpointCol = column[*model.EndpointState]

// columns are the fleet table's columns. At 80 columns status, name,
// days left, serial, expiry and the reason remain; ADDRESS, ISSUER,
// TICKET and OCSP come in as the terminal widens.
func (f *fleetSection) columns() []endpointCol {
	return []endpointCol{
		{title: "STATUS", width: 9, priority: 0, worst: true, descending: true,
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				return statusLabel(es.Verdict.Status), statusStyle(r.styles, es.Verdict.Status)
			}},
		{title: "NAME", width: 12, priority: 1, compare: byName,
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				return clean(es.Endpoint.Name), nil
			}},
		{title: "ADDRESS", width: 10, priority: 9,
			compare: func(a, b *model.EndpointState) int { return strings.Compare(a.Endpoint.Address, b.Endpoint.Address) },
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				return addressLabel(es.Endpoint), &r.styles.Muted
			}},
		{title: "LEFT", width: 6, priority: 2, right: true, compare: byNotAfter,
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				return leftCell(r, es.Last.Leaf(), es.Endpoint.Thresholds)
			}},
		// EXPIRES orders as LEFT does (the same instant); `s` still stops
		// on it, so the arrow is on the column the operator looks at.
		{title: "EXPIRES", width: 10, priority: 5, compare: byNotAfter,
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				if leaf := es.Last.Leaf(); leaf != nil {
					return leaf.NotAfter.Format(time.DateOnly), nil
				}
				return "", nil
			}},
		{title: "SERIAL", width: minSerialDigits + 1, priority: 4,
			// By the digits shown (…c2b4a06f), so the column reads in order.
			compare: func(a, b *model.EndpointState) int {
				return compareText(serialTail(servedSerial(a), f.digits), serialTail(servedSerial(b), f.digits))
			},
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				leaf := servedLeaf(es)
				if leaf == nil {
					return "", nil
				}
				if at, ok := r.changedAt[es.Endpoint.Name]; ok && r.now.Sub(at) < changedFor {
					return serialLabel(leaf.Serial, f.digits), &r.styles.Changed
				}
				return serialLabel(leaf.Serial, f.digits), nil
			}},
		{title: "ISSUER", width: 16, priority: 8,
			compare: func(a, b *model.EndpointState) int { return strings.Compare(issuerOf(a), issuerOf(b)) },
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				return clean(issuerOf(es)), &r.styles.Muted
			}},
		{title: "TLS", width: 7, priority: 10,
			compare: func(a, b *model.EndpointState) int { return compareText(tlsOf(a), tlsOf(b)) },
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				if es.Last == nil {
					return "", nil
				}
				return es.Last.TLSVersion, nil
			}},
		{title: "TICKET", width: minSerialDigits + 5, priority: 6,
			compare: func(a, b *model.EndpointState) int {
				return compareText(ticketSortKey(a, f.keyDigits), ticketSortKey(b, f.keyDigits))
			},
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				return ticketLabel(es, r.now, f.keyDigits), &r.styles.Muted
			}},
		{title: "OCSP", width: 7, priority: 7, descending: true,
			compare: func(a, b *model.EndpointState) int { return cmp.Compare(ocspRank(a), ocspRank(b)) },
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				if es.Last == nil || es.Last.Failed() {
					return "", nil
				}
				return ocspCell(r, es.Last.OCSP)
			}},
		{title: "LATENCY", width: 7, priority: 11, right: true,
			compare: func(a, b *model.EndpointState) int { return cmp.Compare(latencyOf(a), latencyOf(b)) },
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				if es.Last == nil {
					return "", nil
				}
				return formatLatency(es.Last.Latency), &r.styles.Muted
			}},
		{title: "REASON", width: 30, flex: true, priority: 3,
			compare: func(a, b *model.EndpointState) int { return compareText(reasonOf(a), reasonOf(b)) },
			cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
				return reasonCell(r, es)
			}},
	}
}

// reasonCell is why a row has its status: the probe error, or the
// verdict's first reason, on any row that has one (an OK row may carry a
// note, such as a client certificate the server asks for).
func reasonCell(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
	if p, ok := r.actions.endpoint(es.Endpoint.Name); ok {
		return p.text, progressStyle(r.styles, p.state)
	}
	switch {
	case es.Last == nil && es.InFlight:
		return "probing…", &r.styles.Muted
	case es.Last != nil && es.Backoff.BackingOff(r.now):
		// First, so a cut cell still says why the row is not refreshing.
		return backoffLabel(es.Backoff, r.now) + " · " + clean(es.Last.Error), &r.styles.Error
	case es.Last.Failed() && len(es.Last.Addresses) == 0:
		return clean(es.Last.Error), &r.styles.Error
	case len(es.Verdict.Reasons) == 0:
		return "", nil
	case es.Verdict.Status == model.OK || es.Verdict.Status == model.Unknown:
		return clean(es.Verdict.Reasons[0]), &r.styles.Muted
	}
	return clean(es.Verdict.Reasons[0]), statusStyle(r.styles, es.Verdict.Status)
}

// backoffLabel says that failing probes are spaced out, and until when:
// "backing off, next try in 4m" (r still probes at once).
func backoffLabel(b model.BackoffState, now time.Time) string {
	return "backing off, next try in " + formatAge(b.Next.Sub(now))
}

// addressRows are the lines under an endpoint probed at every address of
// its name (all_ips): one per address, each judged on its own and drawn
// with the fleet's columns ("└ ::1" in NAME, the address it reached in
// ADDRESS).
func addressRows(es *model.EndpointState, now time.Time) []*model.EndpointState {
	if es.Last == nil || len(es.Last.Addresses) == 0 {
		return nil
	}
	out := make([]*model.EndpointState, 0, len(es.Last.Addresses))
	for _, a := range es.Last.Addresses {
		ep := es.Endpoint
		ep.Name, ep.Target.Host = addressName(a.IP), a.IP
		sub := &model.EndpointState{Endpoint: ep, Last: a, Verdict: model.ClassifyEndpoint(a, es.Endpoint.Thresholds, now)}
		if a.Leaf() != nil {
			sub.LastGood = a
		}
		out = append(out, sub)
	}
	return out
}

// addressName is what NAME shows on an address's line.
func addressName(ip string) string { return " └ " + clean(ip) }

// ocspCell marks what a staple says: REVOKED stands out, good is quiet,
// and a staple that cannot be trusted or is past its next update warns.
func ocspCell(r *rowCtx, o model.OCSPInfo) (string, *lipgloss.Style) {
	switch {
	case !o.Stapled:
		return "", nil
	case o.Error != "":
		return "invalid", &r.styles.Warn
	case o.Status == model.OCSPRevoked:
		return "REVOKED", &r.styles.Crit
	case !o.NextUpdate.IsZero() && r.now.After(o.NextUpdate):
		return "stale", &r.styles.Warn
	case o.Status == model.OCSPGood:
		return "good", &r.styles.Muted
	case o.Status == model.OCSPUnknown:
		return "unknown", &r.styles.Warn
	}
	return clean(o.Status), &r.styles.Muted
}

// compareText orders text A to Z, empty cells last.
func compareText(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return strings.Compare(a, b)
}

// serialTail is the last n hex digits of a serial, as SERIAL shows them.
func serialTail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// servedSerial is the serial SERIAL shows ("" when none is known).
func servedSerial(es *model.EndpointState) string {
	if leaf := servedLeaf(es); leaf != nil {
		return leaf.Serial
	}
	return ""
}

// tlsOf is the TLS version TLS shows.
func tlsOf(es *model.EndpointState) string {
	if es.Last == nil {
		return ""
	}
	return es.Last.TLSVersion
}

// ticketSortKey is what TICKET shows without the age: the key name's
// digits for named tickets, else the kind.
func ticketSortKey(es *model.EndpointState, digits int) string {
	if es.Last == nil || es.Last.Failed() {
		return ""
	}
	switch kind := ticketKind(es.Last.Ticket); kind {
	case model.TicketNone:
		return "none"
	case model.TicketNamed:
		return serialTail(es.Last.Ticket.KeyName, digits)
	default:
		return string(kind)
	}
}

// ocspRank orders staples worst first: revoked, unusable, unknown, good,
// then endpoints that staple nothing.
func ocspRank(es *model.EndpointState) int {
	if es.Last == nil || es.Last.Failed() || !es.Last.OCSP.Stapled {
		return 5
	}
	switch o := es.Last.OCSP; {
	case o.Status == model.OCSPRevoked:
		return 0
	case o.Error != "":
		return 1
	case o.Status == model.OCSPUnknown:
		return 2
	case o.Status == model.OCSPGood:
		return 3
	}
	return 4
}

// reasonOf is the text REASON orders by: the probe error or the verdict's
// first reason (an action's progress and the backoff note come and go).
func reasonOf(es *model.EndpointState) string {
	switch {
	case es.Last.Failed() && len(es.Last.Addresses) == 0:
		return es.Last.Error
	case len(es.Verdict.Reasons) > 0:
		return es.Verdict.Reasons[0]
	}
	return ""
}

func byName(a, b *model.EndpointState) int { return strings.Compare(a.Endpoint.Name, b.Endpoint.Name) }

// byNotAfter sorts by the exact expiry, endpoints with no certificate last.
func byNotAfter(a, b *model.EndpointState) int {
	la, lb := a.Last.Leaf(), b.Last.Leaf()
	switch {
	case la != nil && lb != nil:
		return la.NotAfter.Compare(lb.NotAfter)
	case la != nil:
		return -1
	case lb != nil:
		return 1
	}
	return 0
}

// latencyOf sorts endpoints with no measurement last.
func latencyOf(es *model.EndpointState) time.Duration {
	if es.Last == nil || es.Last.Latency <= 0 {
		return 1<<63 - 1
	}
	return es.Last.Latency
}

// issuerOf is the served leaf's issuer CN ("" when none is known).
func issuerOf(es *model.EndpointState) string {
	if leaf := servedLeaf(es); leaf != nil {
		return leaf.IssuerCN
	}
	return ""
}

// servedLeaf is the leaf of the latest probe, or of the last good one
// while the endpoint fails (the serial stays known).
func servedLeaf(es *model.EndpointState) *model.CertInfo {
	if l := es.Last.Leaf(); l != nil {
		return l
	}
	return es.LastGood.Leaf()
}

// addressLabel is the address, with the SNI when it differs from the host.
func addressLabel(ep model.Endpoint) string {
	a := ep.Target.String()
	if a == ":" || a == "" {
		a = ep.Address
	}
	if ep.SNI != "" && ep.SNI != ep.Target.Host {
		a += " (" + ep.SNI + ")"
	}
	return clean(a)
}

// ticketKind is the kind of resumption the server offers; observations
// from before probes set Kind fall back to the Opaque flag and key name.
func ticketKind(t model.TicketInfo) model.TicketKind {
	switch {
	case t.Kind != model.TicketNone:
		return t.Kind
	case !t.Issued:
		return model.TicketNone
	case t.Opaque:
		return model.TicketOpaque
	case t.KeyName != "":
		return model.TicketNamed
	}
	return model.TicketNone
}

// ticketLabel is the key name and its observed age for named tickets,
// else the kind ("opaque", "stateful", "session-id"), or "none".
func ticketLabel(es *model.EndpointState, now time.Time, digits int) string {
	if es.Last == nil || es.Last.Failed() {
		return ""
	}
	switch kind := ticketKind(es.Last.Ticket); kind {
	case model.TicketNone:
		return "none"
	case model.TicketNamed:
		if name, age, ok := es.TicketAge(now); ok {
			return serialLabel(name, digits) + " " + formatAge(age)
		}
		return serialLabel(es.Last.Ticket.KeyName, digits)
	default:
		return string(kind)
	}
}

// leftCell is the LEFT column of a row showing a certificate (an
// endpoint's leaf, a bundle's): the time left, coloured by the expiry rule
// when that rule is not OK.
func leftCell(r *rowCtx, leaf *model.CertInfo, t model.Thresholds) (string, *lipgloss.Style) {
	if leaf == nil {
		return "-", &r.styles.Muted
	}
	left := formatLeft(leaf.NotAfter, r.now)
	if st := model.ClassifyCert(leaf, t, r.now).Status; st != model.OK {
		return left, statusStyle(r.styles, st)
	}
	return left, nil
}
