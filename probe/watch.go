package probe

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"certdeck/model"
)

// WatchOptions tune a Watcher. The zero value is what the console uses.
type WatchOptions struct {
	// Debounce is the quiet time after the last change before a bundle is
	// re-read (default 50ms): certbot re-points four links in a burst.
	Debounce time.Duration
	// MaxDelay caps how long a bundle under constant change waits for a
	// re-read after its first change (default 100ms).
	MaxDelay time.Duration
	// Rescan re-reads every bundle this often even without events, a
	// safety net for changes inotify cannot see (NFS, a full event queue).
	// Default 5 minutes.
	Rescan time.Duration
	// NonAtomicWindow is how close two reads must be, one seeing only the
	// certificate change and the next only the key, to be reported as one
	// non-atomic write (default 1 minute).
	NonAtomicWindow time.Duration
	// Clock stamps snapshots; nil means time.Now.
	Clock func() time.Time
}

func (o *WatchOptions) defaults() {
	if o.Debounce <= 0 {
		o.Debounce = 50 * time.Millisecond
	}
	if o.MaxDelay < o.Debounce {
		o.MaxDelay = max(100*time.Millisecond, o.Debounce)
	}
	if o.Rescan <= 0 {
		o.Rescan = 5 * time.Minute
	}
	if o.NonAtomicWindow <= 0 {
		o.NonAtomicWindow = time.Minute
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
}

// Watcher reads bundles from disk whenever they change and sends one
// sealed *model.BundleSnapshot per change on the shared events channel.
type Watcher struct {
	opt     WatchOptions
	events  chan<- model.Event
	fsw     *fsnotify.Watcher
	bundles []*watchedBundle

	mu      sync.Mutex
	pokeAll bool
	poked   map[string]bool
	poke    chan struct{} // capacity 1: "look at poked"
}

// watchedBundle is the watcher's memory of one bundle.
type watchedBundle struct {
	b     model.Bundle
	read  bool   // false before the first read
	sig   string // what the last sent snapshot looked like
	watch watchSet
	// certPrint and keyPrint fingerprint the last read's contents. Only
	// these are kept: the snapshot itself belongs to the receiver once sent.
	certPrint, keyPrint [32]byte

	dirtySince time.Time // zero: clean
	lastEvent  time.Time

	// half is a change to only the certificate or only the key, waiting
	// to see whether the other half follows (a non-atomic writer).
	half   string
	halfAt time.Time
}

// NewWatcher prepares watching bundles; Run starts it. events is the
// channel shared with the probe scheduler.
func NewWatcher(bundles []model.Bundle, events chan<- model.Event, opt WatchOptions) (*Watcher, error) {
	opt.defaults()
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch bundles: %w", err)
	}
	w := &Watcher{opt: opt, events: events, fsw: fsw,
		poked: map[string]bool{}, poke: make(chan struct{}, 1)}
	for _, b := range bundles {
		w.bundles = append(w.bundles, &watchedBundle{b: b})
	}
	return w, nil
}

// Rescan asks for an immediate re-read of the named bundles (all when none
// are named). It never blocks.
func (w *Watcher) Rescan(names ...string) {
	w.mu.Lock()
	if len(names) == 0 {
		w.pokeAll = true
	}
	for _, n := range names {
		w.poked[n] = true
	}
	w.mu.Unlock()
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// Run reads every bundle once, then re-reads them on change until ctx is
// done. It returns when every goroutine it started has exited.
func (w *Watcher) Run(ctx context.Context) {
	defer w.fsw.Close() // waits for fsnotify's reader goroutine
	rescan := time.NewTicker(w.opt.Rescan)
	defer rescan.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

	now := time.Now()
	for _, wb := range w.bundles {
		wb.dirtySince, wb.lastEvent = now.Add(-w.opt.MaxDelay), now.Add(-w.opt.Debounce)
	}
	for {
		next := w.readDue(ctx, time.Now())
		if ctx.Err() != nil {
			return
		}
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), 0))
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			w.onEvent(ev, time.Now())
		case _, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			// Most likely the kernel queue overflowed: events were lost,
			// so everything may have changed.
			w.markAll(time.Now())
		case <-rescan.C:
			w.markAll(time.Now())
		case <-w.poke:
			w.takePokes(time.Now())
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

func (w *Watcher) onEvent(ev fsnotify.Event, now time.Time) {
	for _, wb := range w.bundles {
		if wb.watch.matches(ev.Name) {
			wb.mark(now)
		}
	}
}

func (wb *watchedBundle) mark(now time.Time) {
	if wb.dirtySince.IsZero() {
		wb.dirtySince = now
	}
	wb.lastEvent = now
}

func (w *Watcher) markAll(now time.Time) {
	for _, wb := range w.bundles {
		wb.mark(now)
	}
}

func (w *Watcher) takePokes(now time.Time) {
	w.mu.Lock()
	all, poked := w.pokeAll, w.poked
	w.pokeAll, w.poked = false, map[string]bool{}
	w.mu.Unlock()
	for _, wb := range w.bundles {
		if all || poked[wb.b.Name] {
			// An explicit request is read now, not debounced.
			wb.mark(now.Add(-w.opt.MaxDelay))
			wb.dirtySince = now.Add(-w.opt.MaxDelay)
		}
	}
}

// readDue reads every bundle whose debounce has expired and returns when
// the next one falls due (zero: none pending).
func (w *Watcher) readDue(ctx context.Context, now time.Time) time.Time {
	var next time.Time
	for _, wb := range w.bundles {
		if wb.dirtySince.IsZero() {
			continue
		}
		due := wb.lastEvent.Add(w.opt.Debounce)
		if limit := wb.dirtySince.Add(w.opt.MaxDelay); limit.Before(due) {
			due = limit
		}
		if due.After(now) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		wb.dirtySince = time.Time{}
		if w.read(ctx, wb) && !wb.dirtySince.IsZero() {
			next = now
		}
		if ctx.Err() != nil {
			return time.Time{}
		}
	}
	return next
}

// read re-reads one bundle, re-targets the watches and sends the snapshot
// when anything changed. It reports false when ctx ended mid-send.
func (w *Watcher) read(ctx context.Context, wb *watchedBundle) bool {
	r := readBundle(wb.b, w.opt.Clock())
	wb.watch = r.watch
	if w.syncWatches() {
		// A directory became watchable only now: whatever happened in it
		// between the read and the watch would be missed, so look again.
		wb.mark(time.Now())
	}
	sig := signature(r)
	first := !wb.read
	if !first {
		r.snap.NonAtomic = wb.nonAtomic(r, time.Now(), w.opt.NonAtomicWindow)
	}
	wb.read, wb.certPrint, wb.keyPrint = true, r.certPrint, r.keyPrint
	r.snap.Seal(wb.b)
	if !first && sig == wb.sig && r.snap.NonAtomic == "" {
		return true // nothing new to report
	}
	wb.sig = sig
	select {
	case w.events <- r.snap:
		return true
	case <-ctx.Done():
		return false
	}
}

// syncWatches makes the fsnotify watch list the union of every bundle's
// needs. It reports whether a directory was newly added.
func (w *Watcher) syncWatches() bool {
	want := map[string]bool{}
	for _, wb := range w.bundles {
		for dir := range wb.watch.dirs {
			want[dir] = true
		}
	}
	// fsnotify's own list is the truth: it drops a watch by itself when
	// the directory is removed or renamed, and the directory is added
	// again here once a read finds it (re-created, or the new directory a
	// link now points through).
	have := map[string]bool{}
	for _, dir := range w.fsw.WatchList() {
		have[dir] = true
	}
	added := false
	for dir := range want {
		if have[dir] {
			continue
		}
		// A failed Add (the directory vanished since the read) is retried
		// on the next read; the periodic rescan guarantees there is one.
		if err := w.fsw.Add(dir); err == nil {
			added = true
		}
	}
	for dir := range have {
		if !want[dir] {
			_ = w.fsw.Remove(dir)
		}
	}
	return added
}

// signature sums up what a snapshot would tell the state, to skip sending
// identical reads (a rescan of an unchanged bundle).
func signature(r *bundleRead) string {
	s := fmt.Sprintf("%x|%x|%s|%s|%s|%s|%x", r.certPrint, r.keyPrint, r.snap.Layout, r.snap.Version, r.snap.Err, r.snap.CAErr, r.snap.CA)
	for _, f := range r.snap.Files {
		s += fmt.Sprintf("|%s>%s:%o:%s", f.Name, f.Target, f.Mode, f.Err)
	}
	return s
}
