package ui

import (
	"fmt"
	"slices"

	"certdeck/model"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// fleetSection is the Fleet tab: every endpoint, worst first.
type fleetSection struct {
	table[*model.EndpointState]
	con console
	// source is the config path, "" when the fleet came from arguments:
	// the empty table says where to add endpoints.
	source string

	// digits and keyDigits are how many trailing hex digits tell every
	// served serial (ticket key name) apart; see serials.go.
	digits, keyDigits int
	// hex and keys are the values measured now, lastHex and lastKeys the
	// ones the digits were counted for.
	hex, keys, lastHex, lastKeys []string
	seen                         map[tailKey]string
	// measuredFor is the fleet size NAME and ADDRESS were measured for
	// (nameW, addrW): configured endpoints do not change while the console
	// runs.
	measuredFor  int
	nameW, addrW int

	// Indexes of the columns measure sizes.
	colName, colAddress, colSerial, colIssuer, colTicket, colOCSP int
}

func newFleetSection(ctx *Context, con console) Section {
	f := &fleetSection{con: con, source: ctx.State.Fleet.Source, digits: minSerialDigits, keyDigits: minSerialDigits,
		seen: map[tailKey]string{}, measuredFor: -1}
	cols := f.columns()
	f.table = newTable(ctx, tableSpec[*model.EndpointState]{
		items: ctx.State.Endpoints,
		rank:  (*model.EndpointState).Rank,
		group: func(es *model.EndpointState) string { return es.Endpoint.Group },
		match: newEndpointMatcher().match,
		empty: f.emptyText,
		subs:  addressRows,
	}, cols)
	title := func(s string) int { return slices.IndexFunc(cols, func(c endpointCol) bool { return c.title == s }) }
	f.colName, f.colAddress, f.colSerial, f.colIssuer = title("NAME"), title("ADDRESS"), title("SERIAL"), title("ISSUER")
	f.colTicket, f.colOCSP = title("TICKET"), title("OCSP")
	f.Refresh()
	return f
}

func (f *fleetSection) Name() string  { return "Fleet" }
func (f *fleetSection) Title() string { return tabTitle(f.Name(), f.Len(), f.Counts()) }

// Refresh measures the columns that depend on what is served, then
// re-ranks, re-filters and re-sorts.
func (f *fleetSection) Refresh() {
	f.measure()
	f.refresh()
}

// measure sizes the columns from the whole fleet (not the filtered rows,
// so columns do not jump while typing a filter) and counts the serial
// digits that tell every served certificate apart.
func (f *fleetSection) measure() {
	all := f.ctx.State.Endpoints()
	cols := f.cols
	if f.measuredFor != len(all) {
		f.nameW, f.addrW = 4, 7
		for _, es := range all {
			// The name as NAME shows it: escaped controls take cells.
			f.nameW = max(f.nameW, width(clean(es.Endpoint.Name)))
			f.addrW = max(f.addrW, width(addressLabel(es.Endpoint)))
		}
		f.measuredFor = len(all)
	}
	// The lines under an all_ips endpoint name its addresses, which are
	// known only once probed.
	nameW := f.nameW
	for _, es := range all {
		if es.Last != nil {
			for _, a := range es.Last.Addresses {
				nameW = max(nameW, width(addressName(a.IP)))
			}
		}
	}
	// Each gets a share when admitted and grows to its longest value (up
	// to 48 cells) when the terminal has room.
	cols[f.colName].width, cols[f.colName].grow = min(nameW, 28), max(0, min(nameW, 48)-28)
	cols[f.colAddress].width, cols[f.colAddress].grow = min(f.addrW, 24), max(0, min(f.addrW, 48)-24)
	issuerW, stapled := 0, false
	f.hex, f.keys = f.hex[:0], f.keys[:0]
	for _, es := range all {
		if leaf := servedLeaf(es); leaf != nil {
			f.hex = append(f.hex, leaf.Serial)
			issuerW = max(issuerW, width(leaf.IssuerCN))
		}
		if o := es.Last; o != nil {
			stapled = stapled || o.OCSP.Stapled
			if ticketKind(o.Ticket) == model.TicketNamed {
				f.keys = append(f.keys, o.Ticket.KeyName)
			}
		}
	}
	// The digits depend only on the values: most batches change none, and
	// comparing strings that share their bytes costs next to nothing.
	if !slices.Equal(f.hex, f.lastHex) {
		f.digits = uniqueTails(f.hex, minSerialDigits, f.seen)
		f.hex, f.lastHex = f.lastHex, f.hex
	}
	if !slices.Equal(f.keys, f.lastKeys) {
		f.keyDigits = uniqueTails(f.keys, minSerialDigits, f.seen)
		f.keys, f.lastKeys = f.lastKeys, f.keys
	}
	cols[f.colSerial].width = f.digits + 1
	cols[f.colOCSP].hidden = !stapled
	cols[f.colTicket].width = f.keyDigits + 5
	// ISSUER takes 16 cells when admitted and grows to the longest issuer
	// (up to 40) when the terminal has room, before REASON takes the rest.
	cols[f.colIssuer].grow = max(0, min(issuerW, 40)-cols[f.colIssuer].width)
	f.relayout()
}

func (f *fleetSection) emptyText(filtered bool) string {
	switch {
	case filtered:
		return "no endpoint matches the filter (esc clears it)"
	case f.source != "":
		return "no endpoints configured: add some under endpoints: in " + clean(f.source)
	}
	return "no endpoints configured: pass them as arguments (certdeck example.com:443) or a config with --config FILE"
}

func (f *fleetSection) Selection() any {
	if es, ok := f.selection(); ok {
		return es
	}
	return nil
}

// HandleKey: movement, sort, grouping and marks, then fix (x: reload +
// verify), re-probe and copy of the marked endpoints, or of the selected
// one when none is marked.
func (f *fleetSection) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if f.handleTableKey(msg) {
		return nil, true
	}
	k := f.ctx.Keys
	batch := f.batch()
	switch {
	case key.Matches(msg, k.Fix):
		if len(batch) == 0 {
			f.con.setFlash("no endpoint selected to fix")
			return nil, true
		}
		items := make([]any, len(batch))
		for i, es := range batch {
			items[i] = es
		}
		return f.con.fix(items), true
	case key.Matches(msg, k.Probe):
		if len(batch) == 0 {
			f.con.setFlash("no endpoint selected to re-probe")
			return nil, true
		}
		names := make([]string, len(batch))
		for i, es := range batch {
			names[i] = es.Endpoint.Name
		}
		return f.con.trigger(names...), true
	case key.Matches(msg, k.Copy), key.Matches(msg, k.CopyFingerprint):
		if len(batch) == 0 {
			f.con.setFlash("no endpoint selected to copy from")
			return nil, true
		}
		certs := make([]certOf, len(batch))
		for i, es := range batch {
			certs[i] = certOf{name: es.Endpoint.Name, leaf: servedLeaf(es)}
		}
		return copyCerts(f.con, certs, key.Matches(msg, k.CopyFingerprint)), true
	}
	return nil, false
}

// batch is what x, r and c act on: the marked endpoints, else the one
// under the cursor (none in an empty table).
func (f *fleetSection) batch() []*model.EndpointState {
	if marked := f.marked(); len(marked) > 0 {
		return marked
	}
	if es, ok := f.selection(); ok {
		return []*model.EndpointState{es}
	}
	return nil
}

func (f *fleetSection) ShortHelp() []key.Binding {
	k := f.ctx.Keys
	return []key.Binding{k.Fix, k.Probe, k.Mark, k.Sort, k.Copy, k.Group}
}

func (f *fleetSection) FullHelp() [][]key.Binding {
	k := f.ctx.Keys
	return [][]key.Binding{{k.Fix, k.Probe, k.Copy, k.CopyFingerprint, k.Mark, k.Sort, k.SortReverse, k.Group}}
}

// copyCert puts a certificate's serial (or SHA-256 fingerprint) on the
// clipboard with OSC 52, which works over SSH. The flash shows the whole
// value first, so a cut line still shows what was copied.
func copyCert(con console, leaf *model.CertInfo, fingerprint bool, of string) tea.Cmd {
	if leaf == nil {
		con.setFlash("nothing to copy: no certificate known for " + clean(of))
		return nil
	}
	what, val := "serial", leaf.Serial
	if fingerprint {
		what, val = "SHA-256", leaf.SHA256
	}
	con.setFlash(fmt.Sprintf("copied %s (%s of %s, OSC 52)", val, what, clean(of)))
	return tea.SetClipboard(val)
}
