package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"certdeck/model"
	"certdeck/rotate"
)

// ticketPool: three servers behind one name sharing the session-ticket
// keys of one key dir (a ticket_keys entry whose serves: is the pool).
// They are Go servers using rotate.TicketKeys, so their tickets name the
// encrypting key as nginx's and HAProxy's do. The dir was rotated after
// the third server copied its keys (it missed the reload), so that member
// still encrypts with what is now the dir's previous key: it stands out,
// WARN with "encrypts with the previous key of pool-tickets (…): reload
// it", and the entry's pool sync reads 2/3. t rotates the pool: pool-1
// and pool-2 follow (rotate.TicketKeys reloads the files), pool-3, on its
// copy, is reported not verified.
func ticketPool(b *Builder) error {
	ctx := context.Background()
	// The keys were made and rotated an hour ago: the rotation's
	// ticket_lifetime has passed, so t on the Ticket keys tab can rotate
	// at once.
	hourAgo := func() time.Time { return time.Now().Add(-time.Hour) }
	pool := &rotate.TicketDir{Dir: filepath.Join(b.Dir, "tickets", "pool"), Format: model.TicketNginx80, Clock: hourAgo}
	stale := &rotate.TicketDir{Dir: filepath.Join(b.Dir, "tickets", "pool-3-copy"), Format: model.TicketNginx80, Clock: hourAgo}
	if _, err := pool.Init(ctx, rotate.InitOptions{}); err != nil {
		return fmt.Errorf("demo ticket keys: %w", err)
	}
	if _, err := pool.Convert(ctx, stale); err != nil { // the copy pool-3 loaded
		return fmt.Errorf("demo ticket keys: %w", err)
	}
	if _, err := pool.Rotate(ctx, rotate.RotateOptions{}); err != nil {
		return fmt.Errorf("demo ticket keys: %w", err)
	}
	name := "pool.demo.test"
	leaf, err := b.leaf(name, time.Now().Add(-time.Hour), time.Now().Add(60*24*time.Hour))
	if err != nil {
		return err
	}
	var members []string
	for i, d := range []*rotate.TicketDir{pool, pool, stale} {
		keys, err := rotate.NewTicketKeys(d.Dir, d.Format, rotate.TicketKeysOptions{})
		if err != nil {
			return fmt.Errorf("demo ticket keys: %w", err)
		}
		b.onClose(func() { keys.Close() })
		cfg := staticCert(leaf.TLSCertificate())
		keys.Install(cfg)
		addr, err := b.serveTLS(cfg)
		if err != nil {
			return err
		}
		member := fmt.Sprintf("pool-%d.demo.test", i+1)
		members = append(members, member)
		b.Endpoint(model.EndpointConfig{Name: member, Address: addr, SNI: name, Group: "pool"})
	}
	every, lifetime := model.Duration(12*time.Hour), model.Duration(5*time.Minute)
	b.cfg.TicketKeys = append(b.cfg.TicketKeys, model.TicketKeysConfig{
		Name: "pool-tickets", Dir: pool.Dir, Format: string(pool.Format),
		RotateEvery: &every, TicketLifetime: &lifetime, Serves: members,
	})
	return nil
}
