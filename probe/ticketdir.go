package probe

import (
	"context"
	"encoding/json"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"certdeck/model"
	"certdeck/rotate"
)

// ReadTicketDir reads one configured key dir into a snapshot: names,
// roles, ages and findings; the secrets are parsed and dropped here.
func ReadTicketDir(tk model.TicketKeys, now time.Time) *model.TicketDirSnapshot {
	_, facts := rotate.LoadTicketDir(tk.Dir, tk.Format, now)
	return &model.TicketDirSnapshot{Name: tk.Name, Facts: facts}
}

// TicketDirEvents reads every key dir once (`certdeck check`).
func TicketDirEvents(tks []model.TicketKeys, now time.Time) []model.Event {
	out := make([]model.Event, 0, len(tks))
	for _, tk := range tks {
		out = append(out, ReadTicketDir(tk, now))
	}
	return out
}

// TicketDirWatchOptions tune a TicketDirWatcher; the zero value is what
// the console uses.
type TicketDirWatchOptions struct {
	// Debounce is the quiet time after a change before the dir is read
	// (default 50ms): a rotation is three renames and a meta write.
	Debounce time.Duration
	// Rescan re-reads every dir this often without events (default 1
	// minute): a dir created after start, NFS, a full inotify queue.
	Rescan time.Duration
	// Clock stamps snapshots; nil means time.Now.
	Clock func() time.Time
}

// TicketDirWatcher reads key dirs when they change and sends a
// *model.TicketDirSnapshot on the shared events channel whenever what
// they hold (names, roles, times, modes, findings) differs from what it
// sent last.
type TicketDirWatcher struct {
	opt    TicketDirWatchOptions
	tks    []model.TicketKeys
	events chan<- model.Event
	fsw    *fsnotify.Watcher
	sent   map[string]string // entry → signature of the last snapshot sent
	added  map[string]bool   // dirs with an inotify watch
}

// NewTicketDirWatcher watches the dirs of tks. Dirs that do not exist yet
// are picked up by the rescan.
func NewTicketDirWatcher(tks []model.TicketKeys, events chan<- model.Event, opt TicketDirWatchOptions) (*TicketDirWatcher, error) {
	if opt.Debounce <= 0 {
		opt.Debounce = 50 * time.Millisecond
	}
	if opt.Rescan <= 0 {
		opt.Rescan = time.Minute
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return &TicketDirWatcher{opt: opt, tks: tks, events: events, fsw: fsw, sent: map[string]string{}, added: map[string]bool{}}, nil
}

// Run reads every dir, then follows changes until ctx ends.
func (w *TicketDirWatcher) Run(ctx context.Context) {
	defer w.fsw.Close()
	w.readAll(ctx)
	rescan := time.NewTicker(w.opt.Rescan)
	defer rescan.Stop()
	dirty := map[string]bool{}
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			dirty[filepath.Clean(filepath.Dir(ev.Name))] = true
			settle = time.After(w.opt.Debounce)
		case <-settle:
			settle = nil
			for _, tk := range w.tks {
				if dirty[filepath.Clean(tk.Dir)] {
					w.read(ctx, tk)
				}
			}
			clear(dirty)
		case <-rescan.C:
			w.readAll(ctx)
		case <-w.fsw.Errors:
			// A lost event is caught by the rescan.
		}
	}
}

func (w *TicketDirWatcher) readAll(ctx context.Context) {
	for _, tk := range w.tks {
		w.read(ctx, tk)
	}
}

// read reads one dir (adding its watch when missing) and sends the
// snapshot if it differs from the last one sent.
func (w *TicketDirWatcher) read(ctx context.Context, tk model.TicketKeys) {
	dir := filepath.Clean(tk.Dir)
	if !w.added[dir] && w.fsw.Add(dir) == nil {
		w.added[dir] = true
	}
	snap := ReadTicketDir(tk, w.opt.Clock())
	sig := ticketDirSignature(snap.Facts)
	if w.sent[tk.Name] == sig {
		return
	}
	select {
	case w.events <- snap:
		w.sent[tk.Name] = sig
	case <-ctx.Done():
	}
}

// ticketDirSignature is what a snapshot says, its read time aside.
func ticketDirSignature(f model.TicketDirFacts) string {
	f.ReadAt = time.Time{}
	b, _ := json.Marshal(f)
	return string(b)
}
