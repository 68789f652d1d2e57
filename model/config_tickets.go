package model

import (
	"fmt"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// TicketKeysConfig is one `ticket_keys:` entry: a dir of session-ticket
// keys, the servers that share them, and how often they rotate.
type TicketKeysConfig struct {
	Name   string `yaml:"name"`
	Dir    string `yaml:"dir"`
	Format string `yaml:"format"` // nginx80 | nginx48 | haproxy | apache48
	// RotateEvery: the encrypting key is WARN when older, CRIT past twice
	// as old (and endpoints whose tickets keep one name longer are WARN).
	RotateEvery *Duration `yaml:"rotate_every"`
	// TicketLifetime: how long a ticket stays valid, so how long a key
	// that stopped encrypting must still decrypt.
	TicketLifetime *Duration `yaml:"ticket_lifetime"`
	// Serves is the pool: endpoints that load these keys.
	Serves []string `yaml:"serves"`
	// Reload names a `reloads:` entry run after a rotation.
	Reload string `yaml:"reload"`
}

// Defaults for a ticket_keys entry that says nothing: a day between
// rotations, and nginx's and HAProxy's default session lifetime (5
// minutes: ssl_session_timeout, tune.ssl.lifetime 300).
const (
	DefaultTicketRotateEvery = 24 * time.Hour
	DefaultTicketLifetime    = 5 * time.Minute
)

// TicketKeys is a resolved ticket_keys entry.
type TicketKeys struct {
	Name           string
	Dir            string
	Format         TicketFormat
	RotateEvery    time.Duration
	TicketLifetime time.Duration
	Serves         []string
	Reload         string
}

// resolveTicketKeys checks and adds the ticket_keys entries to f: names
// unique, a known format, ticket_lifetime within rotate_every, serves
// naming configured endpoints, each endpoint in one pool at most (an
// endpoint encrypts with one key set). endpoints maps endpoint names to
// their 1-based item numbers.
func (c *Config) resolveTicketKeys(f *Fleet, endpoints map[string]int) error {
	seen := map[string]int{}
	pool := map[string]string{} // endpoint → the entry that serves it
	for i, tc := range c.TicketKeys {
		// Lines are located only for an error (see Config.lines).
		at := func() itemLines { return c.ticketLines().item(i) }
		tk, err := tc.resolve()
		if err == nil {
			err = f.checkReloadRef(tk.Reload)
		}
		if err != nil {
			return at().wrap(fmt.Sprintf("ticket_keys %d (%s)", i+1, orIndex(tc.Name, i)), err)
		}
		if prev, dup := seen[tk.Name]; dup {
			return at().at("name", fmt.Errorf("ticket_keys name %q is used twice (also by ticket_keys %d%s)",
				tk.Name, prev, c.ticketLines().item(prev-1).onLine()))
		}
		seen[tk.Name] = i + 1
		for _, ep := range tk.Serves {
			if _, ok := endpoints[ep]; !ok {
				return at().at("serves", fmt.Errorf("ticket_keys %q serves %q, which is not a configured endpoint", tk.Name, ep))
			}
			if other, dup := pool[ep]; dup {
				return at().at("serves", fmt.Errorf("endpoint %q is served by ticket_keys %q and %q: an endpoint encrypts with one key set", ep, other, tk.Name))
			}
			pool[ep] = tk.Name
		}
		f.TicketKeys = append(f.TicketKeys, tk)
	}
	return nil
}

func (tc TicketKeysConfig) resolve() (TicketKeys, error) {
	if tc.Dir == "" {
		return TicketKeys{}, keyErr("dir", fmt.Errorf("dir is required"))
	}
	if tc.Format == "" {
		return TicketKeys{}, keyErr("format", fmt.Errorf("format is required (nginx80, nginx48, haproxy or apache48): layouts differ and are never guessed"))
	}
	format, err := ValidateTicketFormat(tc.Format)
	if err != nil {
		return TicketKeys{}, keyErr("format", err)
	}
	tk := TicketKeys{
		Name: tc.Name, Dir: tc.Dir, Format: format,
		RotateEvery:    durOr(tc.RotateEvery, DefaultTicketRotateEvery),
		TicketLifetime: durOr(tc.TicketLifetime, DefaultTicketLifetime),
		Serves:         tc.Serves, Reload: tc.Reload,
	}
	if tk.Name == "" {
		tk.Name = filepath.Base(filepath.Clean(tk.Dir))
	}
	if tk.RotateEvery <= 0 {
		return TicketKeys{}, keyErr("rotate_every", fmt.Errorf("rotate_every must be positive"))
	}
	if tk.TicketLifetime <= 0 {
		return TicketKeys{}, keyErr("ticket_lifetime", fmt.Errorf("ticket_lifetime must be positive"))
	}
	if tk.TicketLifetime > tk.RotateEvery {
		return TicketKeys{}, keyErr("ticket_lifetime", fmt.Errorf(
			"ticket_lifetime %s is longer than rotate_every %s: a key is dropped one rotation after it stops encrypting, while its tickets are still valid",
			FormatDays(tk.TicketLifetime), FormatDays(tk.RotateEvery)))
	}
	return tk, nil
}

// TicketKeysByName finds a configured ticket_keys entry.
func (f *Fleet) TicketKeysByName(name string) (TicketKeys, bool) {
	for _, tk := range f.TicketKeys {
		if tk.Name == name {
			return tk, true
		}
	}
	return TicketKeys{}, false
}

// resolveTicketPaths makes relative key dirs relative to the config's
// directory.
func (f *Fleet) resolveTicketPaths(dir string) {
	for i := range f.TicketKeys {
		if d := f.TicketKeys[i].Dir; d != "" && !filepath.IsAbs(d) {
			f.TicketKeys[i].Dir = filepath.Join(dir, d)
		}
	}
}

// itemsLines is the position of each item of one top-level sequence.
type itemsLines []itemLines

func (l itemsLines) item(i int) itemLines {
	if i >= 0 && i < len(l) {
		return l[i]
	}
	return itemLines{}
}

// ticketLines locates the ticket_keys items in the source document, once,
// and only when an error needs a line (see Config.lines).
func (c *Config) ticketLines() itemsLines {
	if c.ticketLocated == nil {
		l := locateSequence(c.src, "ticket_keys")
		c.ticketLocated = &l
	}
	return *c.ticketLocated
}

// locateSequence reads the positions of the items of the top-level
// sequence key (ticket_keys:); nothing when the document cannot be read.
func locateSequence(data []byte, key string) itemsLines {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	var out itemsLines
	forEachPair(doc.Content[0], func(k, v *yaml.Node) {
		if k.Value != key || v.Kind != yaml.SequenceNode {
			return
		}
		for _, it := range v.Content {
			out = append(out, mappingLines(it))
		}
	})
	return out
}
