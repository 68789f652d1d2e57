package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"certdeck/model"

	"golang.org/x/sys/unix"
)

// TicketHistoryName is the history file's name in certdeck's state dir.
const TicketHistoryName = "ticket-history.jsonl"

// Bounds of the history file. Appends are rare (a new key name, or a last
// seen that moved by historyStep), and a compaction rewrites the file from
// the merged records when more than half of it is superseded lines.
const (
	historyStep     = 10 * time.Minute
	historyMaxFile  = 16 << 20 // a file past this is not read (20,000 records are ~2.6 MiB)
	historySlack    = 512      // lines beyond twice the records before a compaction
	historyLockName = ".lock"  // suffix of the flock file beside it
)

// TicketHistoryFile keeps a model.TicketHistory in a file of JSON lines,
// one per sighting, so key ages survive restarts. Records are appended
// with one write(2) each under a shared flock on PATH.lock; a compaction
// (an exclusive flock) re-reads the file, so lines other certdeck
// processes appended meanwhile are merged, not lost, and replaces it by
// rename. A crash in the middle of an append leaves a torn last line,
// which loading skips; the first append after that compacts first, so no
// new line is glued to it. It is safe for concurrent use.
type TicketHistoryFile struct {
	path string

	mu      sync.Mutex
	hist    model.TicketHistory
	written map[historyKey]time.Time // last seen as last written, per sighting
	lines   int                      // lines in the file, as far as this process knows
	dirty   bool                     // the file has a torn or bad line: compact before appending
	bad     int
	err     error // the first write that failed
}

type historyKey struct{ endpoint, key string }

// OpenTicketHistory loads the history at path (a missing file is an empty
// history). Its directory is created (0700) by the first write, not here:
// a run that sees no named ticket leaves no trace.
func OpenTicketHistory(path string) (*TicketHistoryFile, error) {
	h := &TicketHistoryFile{path: path, written: map[historyKey]time.Time{}}
	data, err := h.read()
	if err != nil {
		return nil, err
	}
	h.hist, h.bad = model.DecodeTicketHistory(data)
	h.lines = bytes.Count(data, []byte("\n"))
	h.dirty = h.bad > 0 || (len(data) > 0 && data[len(data)-1] != '\n')
	for _, r := range h.hist.Records() {
		h.written[historyKey{r.Endpoint, r.KeyName}] = r.LastSeen
	}
	return h, nil
}

// Path is the file's path.
func (h *TicketHistoryFile) Path() string { return h.path }

// Skipped is how many lines loading skipped (torn or damaged).
func (h *TicketHistoryFile) Skipped() int { return h.bad }

// Sightings is a copy of everything the history knows.
func (h *TicketHistoryFile) Sightings() model.TicketHistory {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := model.TicketHistory{}
	for ep, list := range h.hist {
		for _, s := range list {
			out.Merge(ep, s)
		}
	}
	return out
}

// Seen reports whether endpoint has handed out a ticket named keyName
// before, as far as the history knows (false for a nil history): a
// name an earlier connection showed too.
func (h *TicketHistoryFile) Seen(endpoint, keyName string) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.hist[endpoint] {
		if s.KeyName == keyName {
			return true
		}
	}
	return false
}

// Err is the first error a Record met (nil: none), for the caller to say
// once; the history in memory stays complete.
func (h *TicketHistoryFile) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Record notes the key name of a named ticket the observation saw. It
// writes only what is new: a name not seen before on that endpoint, or a
// last seen that moved by at least ten minutes since it was last written.
func (h *TicketHistoryFile) Record(o *model.Observation) error {
	return h.RecordAll([]*model.Observation{o})
}

// RecordAll is Record for a round's observations: what is new leaves in
// one append (one lock, one write(2)). A first check of 2,000 endpoints
// otherwise took a lock and opened the file 2,000 times after its last
// probe.
func (h *TicketHistoryFile) RecordAll(obs []*model.Observation) (err error) {
	defer func() {
		if err != nil {
			h.mu.Lock()
			if h.err == nil {
				h.err = err
			}
			h.mu.Unlock()
		}
	}()
	h.mu.Lock()
	defer h.mu.Unlock()
	var lines []byte
	batch := map[historyKey]time.Time{}
	for _, o := range obs {
		rec, ok := h.merge(o, batch)
		if !ok {
			continue
		}
		lines = append(lines, rec.Line()...)
		batch[historyKey{rec.Endpoint, rec.KeyName}] = rec.LastSeen
	}
	if len(batch) == 0 {
		return nil
	}
	if h.dirty || h.lines > 2*len(h.written)+historySlack {
		if err := h.compact(); err != nil {
			return err
		}
	}
	if err := h.append(lines); err != nil {
		return err
	}
	h.lines += bytes.Count(lines, []byte("\n"))
	for k, t := range batch {
		h.written[k] = t
	}
	return nil
}

// merge adds o's named ticket to the history in memory and returns the
// record to write, if any: a name new on its endpoint, or a last seen
// that moved by historyStep since it was written (in the file, or in
// batch, what this append is about to write). h.mu is held.
func (h *TicketHistoryFile) merge(o *model.Observation, batch map[historyKey]time.Time) (model.TicketHistoryRecord, bool) {
	if o == nil || o.Failed() || o.Ticket.Opaque || o.Ticket.KeyName == "" || !model.ValidKeyName(o.Ticket.KeyName) {
		return model.TicketHistoryRecord{}, false
	}
	if o.Ticket.Kind != model.TicketNone && o.Ticket.Kind != model.TicketNamed {
		return model.TicketHistoryRecord{}, false
	}
	k := historyKey{o.Endpoint, o.Ticket.KeyName}
	h.hist.Merge(o.Endpoint, model.TicketSighting{KeyName: k.key, FirstSeen: o.Time, LastSeen: o.Time})
	last, ok := batch[k]
	if !ok {
		last, ok = h.written[k]
	}
	if ok && o.Time.Sub(last) < historyStep {
		return model.TicketHistoryRecord{}, false
	}
	var first time.Time
	for _, s := range h.hist[o.Endpoint] {
		if s.KeyName == k.key {
			first = s.FirstSeen
		}
	}
	return model.TicketHistoryRecord{Endpoint: o.Endpoint, KeyName: k.key, FirstSeen: first, LastSeen: o.Time}, true
}

// append writes lines with one O_APPEND write under a shared lock: the path is
// opened after the lock is held, so it is never a file a compaction has
// just replaced.
func (h *TicketHistoryFile) append(lines []byte) error {
	unlock, err := h.lock(unix.LOCK_SH)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("ticket history: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("ticket history: %s is not a regular file", h.path)
	}
	_, werr := f.Write(lines)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("ticket history: %w", werr)
	}
	return nil
}

// compact rewrites the file from the merged records, under an exclusive
// lock, after merging what the file holds now.
func (h *TicketHistoryFile) compact() error {
	unlock, err := h.lock(unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	data, err := h.read()
	if err != nil {
		return err
	}
	disk, _ := model.DecodeTicketHistory(data)
	for ep, list := range disk {
		for _, s := range list {
			h.hist.Merge(ep, s)
		}
	}
	var out bytes.Buffer
	recs := h.hist.Records()
	for _, r := range recs {
		out.Write(r.Line())
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".ticket-history-*")
	if err != nil {
		return fmt.Errorf("ticket history: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out.Bytes()); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), h.path)
	}
	if err != nil {
		return fmt.Errorf("ticket history: compact: %w", err)
	}
	if d, err := os.Open(filepath.Dir(h.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	h.lines, h.dirty = len(recs), false
	clear(h.written)
	for _, r := range recs {
		h.written[historyKey{r.Endpoint, r.KeyName}] = r.LastSeen
	}
	return nil
}

func (h *TicketHistoryFile) read() ([]byte, error) {
	data, err := model.ReadRegularFile(h.path, "ticket history", historyMaxFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ticket history: %w", err)
	}
	return data, nil
}

// lock takes a flock on PATH.lock (opened O_NOFOLLOW: a planted link must
// not make certdeck create files elsewhere).
func (h *TicketHistoryFile) lock(how int) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return nil, fmt.Errorf("ticket history: %w", err)
	}
	f, err := os.OpenFile(h.path+historyLockName, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ticket history lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ticket history lock: %w", err)
	}
	return func() { f.Close() }, nil
}
