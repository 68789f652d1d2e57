package ui

import (
	"time"

	"certdeck/model"
	"certdeck/themes"

	"charm.land/lipgloss/v2"
)

// column is one column of the fleet table. Columns are laid out in
// declaration order but admitted by priority: when the terminal narrows,
// the least important go first, and at 80 columns status, name, days
// left and error remain.
type column struct {
	title    string
	width    int // fixed width in cells; the flexible column uses it as minimum
	flex     bool
	priority int // lower is more important
	right    bool
	// onlyGrouped columns appear when rows are grouped.
	onlyGrouped bool
	// cell returns the text and, optionally, its style (nil: plain text).
	cell func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style)
}

// rowCtx carries what cells need beyond the endpoint.
type rowCtx struct {
	now       time.Time
	styles    *themes.Styles
	changedAt map[string]time.Time
	paints    paints
}

// changedFor is how long a changed serial stays highlighted.
const changedFor = 2 * time.Minute

func fleetColumns(nameW, addrW int) []column {
	return []column{
		{title: "STATUS", width: 9, priority: 0, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			return statusLabel(es.Verdict.Status), statusStyle(r.styles, es.Verdict.Status)
		}},
		{title: "NAME", width: nameW, priority: 1, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			return clean(es.Endpoint.Name), nil
		}},
		{title: "GROUP", width: 10, priority: 4, onlyGrouped: true, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			return clean(es.Endpoint.Group), &r.styles.Muted
		}},
		{title: "ADDRESS", width: addrW, priority: 9, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			return addressLabel(es.Endpoint), &r.styles.Muted
		}},
		{title: "LEFT", width: 6, priority: 2, right: true, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			if es.Last == nil || es.Last.Leaf() == nil {
				return "-", &r.styles.Muted
			}
			st := model.ClassifyCert(es.Last.Leaf(), es.Endpoint.Thresholds, r.now).Status
			if st == model.OK {
				return formatLeft(es.Last.Leaf().NotAfter, r.now), nil
			}
			return formatLeft(es.Last.Leaf().NotAfter, r.now), statusStyle(r.styles, st)
		}},
		{title: "EXPIRES", width: 10, priority: 6, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			if es.Last == nil || es.Last.Leaf() == nil {
				return "", nil
			}
			return es.Last.Leaf().NotAfter.Format(time.DateOnly), nil
		}},
		{title: "SERIAL", width: 8, priority: 5, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			leaf := servedLeaf(es)
			if leaf == nil {
				return "", nil
			}
			if at, ok := r.changedAt[es.Endpoint.Name]; ok && r.now.Sub(at) < changedFor {
				return model.ShortSerial(leaf.Serial), &r.styles.Changed
			}
			return model.ShortSerial(leaf.Serial), nil
		}},
		{title: "ISSUER", width: 16, priority: 8, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			leaf := servedLeaf(es)
			if leaf == nil {
				return "", nil
			}
			return clean(leaf.IssuerCN), &r.styles.Muted
		}},
		{title: "TLS", width: 7, priority: 10, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			if es.Last == nil {
				return "", nil
			}
			return es.Last.TLSVersion, nil
		}},
		{title: "TICKET", width: 13, priority: 7, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			return ticketLabel(es, r.now), &r.styles.Muted
		}},
		{title: "LATENCY", width: 7, priority: 11, right: true, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			if es.Last == nil {
				return "", nil
			}
			return formatLatency(es.Last.Latency), &r.styles.Muted
		}},
		{title: "ERROR", width: 30, flex: true, priority: 3, cell: func(r *rowCtx, es *model.EndpointState) (string, *lipgloss.Style) {
			if es.Last == nil {
				if es.InFlight {
					return "probing…", &r.styles.Muted
				}
				return "", nil
			}
			if es.Last.Failed() {
				return clean(es.Last.Error), &r.styles.Error
			}
			if es.Verdict.Status != model.OK && len(es.Verdict.Reasons) > 0 {
				return clean(es.Verdict.Reasons[0]), statusStyle(r.styles, es.Verdict.Status)
			}
			return "", nil
		}},
	}
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

// ticketLabel is the short key name and its observed age, or what is
// known instead ("opaque" for Go servers, "none" when no ticket came).
func ticketLabel(es *model.EndpointState, now time.Time) string {
	if es.Last == nil || es.Last.Failed() {
		return ""
	}
	t := es.Last.Ticket
	switch {
	case !t.Issued:
		return "none"
	case t.Opaque:
		return "opaque"
	}
	if name, age, ok := es.TicketAge(now); ok {
		return model.ShortSerial(name) + " " + formatAge(age)
	}
	return ""
}

// layout is the columns chosen for a width, in display order, with the
// flexible column's width resolved.
type layout struct {
	cols   []column
	widths []int
}

// layoutColumns admits columns by priority until the width is used up,
// then gives the flexible column what is left.
func layoutColumns(all []column, width int, grouped bool) layout {
	var cand []int
	for i, c := range all {
		if c.onlyGrouped && !grouped {
			continue
		}
		cand = append(cand, i)
	}
	// Admit in priority order.
	byPrio := append([]int(nil), cand...)
	for i := 1; i < len(byPrio); i++ {
		for j := i; j > 0 && all[byPrio[j]].priority < all[byPrio[j-1]].priority; j-- {
			byPrio[j], byPrio[j-1] = byPrio[j-1], byPrio[j]
		}
	}
	admitted := map[int]bool{}
	used := 0
	for _, i := range byPrio {
		need := all[i].width
		if used > 0 {
			need++ // separator
		}
		if used+need > width {
			continue
		}
		admitted[i] = true
		used += need
	}
	var l layout
	flex := -1
	for _, i := range cand {
		if !admitted[i] {
			continue
		}
		if all[i].flex {
			flex = len(l.cols)
		}
		l.cols = append(l.cols, all[i])
		l.widths = append(l.widths, all[i].width)
	}
	if flex >= 0 {
		l.widths[flex] += width - used
	} else if n := len(l.widths); n > 0 {
		l.widths[n-1] += width - used
	}
	return l
}
