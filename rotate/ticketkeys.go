package rotate

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"certdeck/model"

	"github.com/fsnotify/fsnotify"
)

// TicketKeysOptions configure TicketKeys. All fields are optional.
type TicketKeysOptions struct {
	// OnReload is called (from the watcher goroutine) after new keys were
	// loaded, with the name of the key that now encrypts.
	OnReload func(current string)
	// OnError is called when the files cannot be loaded; the keys in use
	// stay in use.
	OnError func(error)
}

// TicketKeys lets a Go TLS server use the key files nginx and HAProxy use
// (a TicketDir in any format), so its tickets name their key as
// OpenSSL-style servers' do and a probe can tell which key it encrypts
// with: Go's own tickets start with a random IV and name nothing.
//
// Install sets tls.Config.WrapSession and UnwrapSession. A ticket is
//
//	key name 16 | IV 16 | AES-CTR(session state) | HMAC-SHA256 32
//
// with the MAC over everything before it (encrypt-then-MAC), AES-128 or
// AES-256 and the HMAC key from the key file's halves. Tickets are issued
// with the current key; the next and previous keys decrypt, so a Go
// server honours the rotation order exactly as nginx does. A ticket with
// an unknown name or a bad MAC (checked in constant time) is ignored: a
// full handshake follows, never an error.
//
// TicketKeys watches the dir and reloads after every rotation (files are
// replaced by rename, which fsnotify reports as Create); a load that fails
// keeps the keys in use. Close stops the watcher.
type TicketKeys struct {
	dir    string
	format model.TicketFormat
	opt    TicketKeysOptions
	keys   atomic.Pointer[model.TicketKeySet]

	watcher *fsnotify.Watcher
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
}

// ticketOverhead is what a ticket adds to the session state: name, IV, MAC.
const ticketOverhead = model.TicketKeyNameLen + aes.BlockSize + sha256.Size

// NewTicketKeys loads the keys in dir (format f) and starts watching it.
// It fails unless the dir holds a complete, readable key set.
func NewTicketKeys(dir string, f model.TicketFormat, opt TicketKeysOptions) (*TicketKeys, error) {
	t := &TicketKeys{dir: dir, format: f, opt: opt, done: make(chan struct{})}
	set, err := t.load()
	if err != nil {
		return nil, fmt.Errorf("ticket keys %s: %w", dir, err)
	}
	t.keys.Store(set)
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("ticket keys %s: %w", dir, err)
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, fmt.Errorf("ticket keys %s: watch: %w", dir, err)
	}
	t.watcher = w
	t.wg.Add(1)
	go t.watch()
	return t, nil
}

// Install makes cfg issue and accept tickets with these keys.
func (t *TicketKeys) Install(cfg *tls.Config) {
	cfg.WrapSession = t.WrapSession
	cfg.UnwrapSession = t.UnwrapSession
}

// Current is the name of the key that encrypts now.
func (t *TicketKeys) Current() string { return t.keys.Load().Current.Name() }

// WrapSession is for tls.Config.WrapSession: it seals the session state
// under the current key.
func (t *TicketKeys) WrapSession(_ tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
	state, err := ss.Bytes()
	if err != nil {
		return nil, err
	}
	k := t.keys.Load().Current
	block, err := aes.NewCipher(k.AESKey().Bytes())
	if err != nil {
		return nil, fmt.Errorf("ticket key %s: %w", k.Name(), err)
	}
	out := make([]byte, ticketOverhead+len(state))
	name := k.NameBytes()
	copy(out, name[:])
	iv := out[model.TicketKeyNameLen : model.TicketKeyNameLen+aes.BlockSize]
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	body := out[model.TicketKeyNameLen+aes.BlockSize : len(out)-sha256.Size]
	cipher.NewCTR(block, iv).XORKeyStream(body, state)
	mac := hmac.New(sha256.New, k.HMACKey().Bytes())
	mac.Write(out[:len(out)-sha256.Size])
	mac.Sum(out[:len(out)-sha256.Size])
	return out, nil
}

// UnwrapSession is for tls.Config.UnwrapSession: it opens a ticket sealed
// by any key the dir holds (current, next, previous); (nil, nil) — a full
// handshake — for anything else.
func (t *TicketKeys) UnwrapSession(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
	if len(identity) < ticketOverhead {
		return nil, nil
	}
	k, ok := t.keyNamed(identity[:model.TicketKeyNameLen])
	if !ok {
		return nil, nil
	}
	macAt := len(identity) - sha256.Size
	mac := hmac.New(sha256.New, k.HMACKey().Bytes())
	mac.Write(identity[:macAt])
	if !hmac.Equal(mac.Sum(nil), identity[macAt:]) {
		return nil, nil
	}
	block, err := aes.NewCipher(k.AESKey().Bytes())
	if err != nil {
		return nil, nil
	}
	iv := identity[model.TicketKeyNameLen : model.TicketKeyNameLen+aes.BlockSize]
	body := identity[model.TicketKeyNameLen+aes.BlockSize : macAt]
	state := make([]byte, len(body))
	cipher.NewCTR(block, iv).XORKeyStream(state, body)
	ss, err := tls.ParseSessionState(state)
	if err != nil {
		return nil, nil
	}
	return ss, nil
}

func (t *TicketKeys) keyNamed(name []byte) (model.TicketKey, bool) {
	set := t.keys.Load()
	for _, k := range []model.TicketKey{set.Current, set.Next, set.Previous} {
		n := k.NameBytes()
		if hmac.Equal(n[:], name) {
			return k, true
		}
	}
	return model.TicketKey{}, false
}

// Reload re-reads the dir now. On error the keys in use are kept.
func (t *TicketKeys) Reload() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	set, err := t.load()
	if err != nil {
		return fmt.Errorf("reload ticket keys %s: %w (still encrypting with %s)", t.dir, err, model.ShortKeyName(t.Current()))
	}
	old := t.keys.Swap(set)
	if !old.Current.SameKey(set.Current) || !old.Next.SameKey(set.Next) || !old.Previous.SameKey(set.Previous) {
		if t.opt.OnReload != nil {
			t.opt.OnReload(set.Current.Name())
		}
	}
	return nil
}

// Close stops the watcher and waits for it; the keys stay usable.
func (t *TicketKeys) Close() error {
	select {
	case <-t.done:
		return nil
	default:
	}
	close(t.done)
	err := t.watcher.Close()
	t.wg.Wait()
	return err
}

// ticketReloadSettle is how long the watcher waits after a change before
// reloading: a rotation of a raw-format dir is three renames and a meta
// write, and loading once after them beats loading four times.
const ticketReloadSettle = 20 * time.Millisecond

func (t *TicketKeys) watch() {
	defer t.wg.Done()
	var settle <-chan time.Time
	for {
		select {
		case <-t.done:
			return
		case ev, ok := <-t.watcher.Events:
			if !ok {
				return
			}
			if !isTicketFile(t.format, filepath.Base(ev.Name)) || !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) {
				continue
			}
			settle = time.After(ticketReloadSettle)
		case <-settle:
			settle = nil
			if err := t.Reload(); err != nil && t.opt.OnError != nil {
				t.opt.OnError(err)
			}
		case err, ok := <-t.watcher.Errors:
			if !ok {
				return
			}
			if t.opt.OnError != nil {
				t.opt.OnError(fmt.Errorf("ticket keys %s: watch: %w", t.dir, err))
			}
		}
	}
}

func isTicketFile(f model.TicketFormat, name string) bool {
	for _, n := range model.TicketDirFiles(f) {
		if n == name {
			return true
		}
	}
	return false
}

// load reads the dir and insists on a complete key set.
func (t *TicketKeys) load() (*model.TicketKeySet, error) {
	set, facts := LoadTicketDir(t.dir, t.format, time.Now())
	if err := refuseUnreadable(facts); err != nil {
		return nil, err
	}
	if !set.Complete() {
		return nil, fmt.Errorf("key set incomplete")
	}
	return &set, nil
}
