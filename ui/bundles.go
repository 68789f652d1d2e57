package ui

import (
	"fmt"
	"slices"
	"strings"

	"certdeck/model"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// bundlesSection is the Bundles tab: certificate bundles on local disk,
// worst first, with the drift of the endpoints that serve them. Publish
// and rollback (p, b) start here; bundle_actions.go runs them.
type bundlesSection struct {
	table[*model.BundleState]
	con console

	// digits tells apart every serial the tab may show: the bundles' own
	// and the ones their endpoints serve (the drift detail).
	digits    int
	hex       []string
	seen      map[tailKey]string
	colSerial int
}

// newBundlesSection is the Bundles tab, or nil when no bundle is
// configured: a tab over an empty section would be noise.
func newBundlesSection(ctx *Context, con console) Section {
	bundles := ctx.State.Bundles()
	if len(bundles) == 0 {
		return nil
	}
	b := &bundlesSection{con: con, digits: minSerialDigits, seen: map[tailKey]string{}}
	cols := b.columns(bundles)
	b.table = newTable(ctx, tableSpec[*model.BundleState]{
		items: ctx.State.Bundles,
		rank:  (*model.BundleState).Rank,
		group: func(bs *model.BundleState) string { return bs.Bundle.Group },
		match: newBundleMatcher().match,
		empty: func(filtered bool) string {
			if filtered {
				return "no bundle matches the filter (esc clears it)"
			}
			return "no bundles configured"
		},
	}, cols)
	b.colSerial = slices.IndexFunc(cols, func(c bundleCol) bool { return c.title == "SERIAL" })
	b.Refresh()
	return b
}

func (b *bundlesSection) Name() string  { return "Bundles" }
func (b *bundlesSection) Title() string { return tabTitle(b.Name(), b.Len(), b.Counts()) }

func (b *bundlesSection) Refresh() {
	b.hex = b.hex[:0]
	for _, bs := range b.ctx.State.Bundles() {
		if s := bs.Serial(); s != "" {
			b.hex = append(b.hex, s)
		}
		for _, d := range bs.Drift {
			if d.ServedSerial != "" {
				b.hex = append(b.hex, d.ServedSerial)
			}
		}
	}
	b.digits = uniqueTails(b.hex, minSerialDigits, b.seen)
	b.cols[b.colSerial].width = b.digits + 1
	b.relayout()
	b.refresh()
}

func (b *bundlesSection) Selection() any {
	if bs, ok := b.selection(); ok {
		return bs
	}
	return nil
}

// HandleKey: movement, sort, grouping and marks; x reloads and verifies
// the marked bundles (else the selected one), r re-reads them and
// re-probes what they serve, c/C copy their certificates' serials or
// fingerprints; P publishes, reloads and verifies the selected bundle,
// p/b publish and roll it back (read-only mode stops the actions earlier,
// at the root's one dispatch point).
func (b *bundlesSection) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if b.handleTableKey(msg) {
		return nil, true
	}
	k := b.ctx.Keys
	batch := b.batch()
	switch {
	case key.Matches(msg, k.Fix):
		if len(batch) == 0 {
			b.con.setFlash("no bundle selected to fix")
			return nil, true
		}
		items := make([]any, len(batch))
		for i, bs := range batch {
			items[i] = bs
		}
		return b.con.fix(items), true
	case key.Matches(msg, k.PublishReload):
		bs, _ := b.selection()
		return b.con.publishReload(bs), true
	case key.Matches(msg, k.Publish):
		return b.con.startAction("publish"), true
	case key.Matches(msg, k.Rollback):
		return b.con.startAction("rollback"), true
	case len(batch) == 0 && (key.Matches(msg, k.Reread) || key.Matches(msg, k.Copy) || key.Matches(msg, k.CopyFingerprint)):
		b.con.setFlash("no bundle selected")
		return nil, true
	case key.Matches(msg, k.Reread):
		return b.reread(batch), true
	case key.Matches(msg, k.Copy), key.Matches(msg, k.CopyFingerprint):
		certs := make([]certOf, len(batch))
		for i, bs := range batch {
			certs[i] = certOf{name: bs.Bundle.Name, leaf: bs.Leaf()}
		}
		return copyCerts(b.con, certs, key.Matches(msg, k.CopyFingerprint)), true
	}
	return nil, false
}

// batch is what x, r and c act on: the marked bundles, else the one
// under the cursor.
func (b *bundlesSection) batch() []*model.BundleState {
	if marked := b.marked(); len(marked) > 0 {
		return marked
	}
	if bs, ok := b.selection(); ok {
		return []*model.BundleState{bs}
	}
	return nil
}

// reread re-reads each bundle of the batch and probes what it serves.
func (b *bundlesSection) reread(batch []*model.BundleState) tea.Cmd {
	if len(batch) == 1 {
		b.con.setFlash("re-reading " + clean(batch[0].Bundle.Name) + " and probing the endpoints it serves")
		return b.con.recheckBundle(batch[0].Bundle, 0)
	}
	cmds := make([]tea.Cmd, len(batch))
	names := make([]string, len(batch))
	for i, bs := range batch {
		cmds[i], names[i] = b.con.recheckBundle(bs.Bundle, 0), clean(bs.Bundle.Name)
	}
	b.con.setFlash(fmt.Sprintf("re-reading %d bundles (%s) and probing the endpoints they serve", len(batch), listNames(names, 4)))
	return tea.Batch(cmds...)
}

// ShortHelp puts the actions first: they live on this tab. Disabled
// bindings (read-only mode) are not shown.
func (b *bundlesSection) ShortHelp() []key.Binding {
	k := b.ctx.Keys
	return []key.Binding{k.Fix, k.PublishReload, k.Publish, k.Rollback, k.Reread, k.Mark, k.Sort, k.Copy}
}

func (b *bundlesSection) FullHelp() [][]key.Binding {
	k := b.ctx.Keys
	return [][]key.Binding{
		{k.Fix, k.PublishReload, k.Publish, k.Rollback},
		{k.Reread, k.Copy, k.CopyFingerprint, k.Mark, k.Sort, k.SortReverse, k.Group},
	}
}

type bundleCol = column[*model.BundleState]

// columns of the bundles table; PATH takes what width is left and is cut
// in the middle, keeping the end that tells bundles apart.
func (b *bundlesSection) columns(bundles []*model.BundleState) []bundleCol {
	nameW, layoutW := 4, 6
	for _, bs := range bundles {
		nameW = max(nameW, width(clean(bs.Bundle.Name)))
		layoutW = max(layoutW, width(clean(bs.Bundle.Layout)))
	}
	return []bundleCol{
		{title: "STATUS", width: 9, priority: 0, worst: true, descending: true,
			cell: func(r *rowCtx, bs *model.BundleState) (string, *lipgloss.Style) {
				return statusLabel(bs.Verdict.Status), statusStyle(r.styles, bs.Verdict.Status)
			}},
		{title: "NAME", width: min(nameW, 24), priority: 1,
			compare: func(x, y *model.BundleState) int { return strings.Compare(x.Bundle.Name, y.Bundle.Name) },
			cell: func(_ *rowCtx, bs *model.BundleState) (string, *lipgloss.Style) {
				return clean(bs.Bundle.Name), nil
			}},
		{title: "LAYOUT", width: max(11, min(layoutW, 16)), priority: 6,
			cell: func(r *rowCtx, bs *model.BundleState) (string, *lipgloss.Style) {
				if bs.Facts == nil || bs.Facts.Layout == "" {
					return clean(bs.Bundle.Layout), &r.styles.Muted
				}
				return clean(bs.Facts.Layout), nil
			}},
		{title: "SERIAL", width: minSerialDigits + 1, priority: 4,
			cell: func(r *rowCtx, bs *model.BundleState) (string, *lipgloss.Style) {
				if s := bs.Serial(); s != "" {
					return serialLabel(s, b.digits), nil
				}
				return "-", &r.styles.Muted
			}},
		{title: "LEFT", width: 6, priority: 2, right: true, compare: bundleByNotAfter,
			cell: func(r *rowCtx, bs *model.BundleState) (string, *lipgloss.Style) {
				return leftCell(r, bs.Leaf(), bs.Bundle.Thresholds)
			}},
		{title: "KEY", width: 8, priority: 5,
			cell: func(r *rowCtx, bs *model.BundleState) (string, *lipgloss.Style) {
				match, known := bs.KeyMatch()
				switch {
				case !known:
					return "-", &r.styles.Muted
				case match:
					return "matches", nil
				}
				return "MISMATCH", &r.styles.Crit
			}},
		{title: "DRIFT", width: 13, priority: 3, compare: byDrift, descending: true,
			cell: func(r *rowCtx, bs *model.BundleState) (string, *lipgloss.Style) {
				if p, ok := r.actions.bundle(bs.Bundle.Name); ok {
					return p.text, progressStyle(r.styles, p.state)
				}
				s := bs.DriftSummary()
				if s == "" {
					return "-", &r.styles.Muted
				}
				switch {
				case drifted(bs) > 0:
					return s, &r.styles.Warn
				case s == string(model.DriftVerifying):
					return s, &r.styles.Accent
				}
				return s, nil
			}},
		{title: "PATH", width: 12, flex: true, middle: true, priority: 7,
			compare: func(x, y *model.BundleState) int { return strings.Compare(x.Bundle.Path, y.Bundle.Path) },
			cell: func(r *rowCtx, bs *model.BundleState) (string, *lipgloss.Style) {
				return clean(bs.Bundle.Path), &r.styles.Muted
			}},
	}
}

// drifted counts the endpoints that serve another certificate.
func drifted(bs *model.BundleState) int {
	n := 0
	for _, d := range bs.Drift {
		if d.State == model.Drifted {
			n++
		}
	}
	return n
}

// byDrift puts the bundles with the most drifting endpoints first.
func byDrift(x, y *model.BundleState) int { return drifted(y) - drifted(x) }

func bundleByNotAfter(x, y *model.BundleState) int {
	lx, ly := x.Leaf(), y.Leaf()
	switch {
	case lx != nil && ly != nil:
		return lx.NotAfter.Compare(ly.NotAfter)
	case lx != nil:
		return -1
	case ly != nil:
		return 1
	}
	return 0
}
