package rotate

import (
	"bytes"
	"sync"
)

// stderrTailBytes bounds what a failing command leaves in a result: the
// last lines are the ones that say why (nginx's "[emerg] … failed"), and a
// command that loops printing must not grow certdeck's memory.
const stderrTailBytes = 4 << 10

// tailWriter keeps the last max bytes written to it. It is safe for the
// concurrent writes os/exec and an ssh session make.
type tailWriter struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped bool // bytes were discarded from the front
}

func newTailWriter(max int) *tailWriter { return &tailWriter{max: max} }

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if len(p) >= w.max {
		p = p[len(p)-w.max:]
		w.buf = append(w.buf[:0], p...)
		w.dropped = true
		return n, nil
	}
	if over := len(w.buf) + len(p) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
		w.dropped = true
	}
	w.buf = append(w.buf, p...)
	return n, nil
}

// String is the tail in whole lines: when the front was cut, the partial
// first line is dropped (unless it is all there is). A trailing newline
// is trimmed.
func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.buf
	if w.dropped {
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	return string(bytes.TrimRight(b, "\n"))
}
