package main

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"

	"github.com/activedefense/activedefense/detect"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web"
	"github.com/activedefense/activedefense/web/auth"
	"github.com/activedefense/activedefense/web/ops"
)

// core is everything the operations need on an open, migrated store. serve
// builds one with the ingest pipeline; a CLI command without a server
// builds one without.
type core struct {
	st       schema.Store
	set      *schema.Settings
	det      *detect.Service
	devs     *devices
	users    *auth.Users
	tokens   *auth.Tokens
	sessions *auth.Sessions
}

var _ ops.Detect = (*detect.Service)(nil)

// keyFile is where the secret key lives: outside the engine, beside it.
func (a *app) keyFile() string {
	if a.g.keyFile != "" {
		return a.g.keyFile
	}
	return filepath.Join(a.g.dataDir, "secret.key")
}

func (a *app) newCore(ctx context.Context, st schema.Store, live ingestControl) (*core, error) {
	keys, err := schema.LoadOrCreateKeyring(a.keyFile())
	if err != nil {
		return nil, err
	}
	set := schema.NewSettings(st, keys)
	if err := set.Load(ctx); err != nil {
		return nil, err
	}
	c := &core{st: st, set: set, users: auth.NewUsers(st), tokens: auth.NewTokens(st), sessions: auth.NewSessions(st)}
	c.det = detect.New(detect.Config{FeedBaseDir: a.logDir}, st, set, a.log.WithField("component", "detect"))
	if err := c.det.Init(ctx); err != nil {
		return nil, fmt.Errorf("seeding the never-block list: %w", err)
	}
	c.devs = &devices{st: st, set: set, live: live, lists: c.det, logDir: a.logDir, log: a.log.WithField("component", "devices")}
	return c, nil
}

// webDeps returns what the web server serves from this core.
func (c *core) webDeps(migrate func(ctx context.Context, days int) (schema.MigrateResult, error)) web.Deps {
	return web.Deps{Store: c.st, Detect: c.det, Devices: c.devs, Users: c.users, Tokens: c.tokens, Sessions: c.sessions,
		Migrate: migrate, DeviceSenders: func(ctx context.Context) (map[netip.Addr]string, error) { return schema.DeviceSenders(ctx, c.st) },
		Health: func(ctx context.Context) error {
			_, err := schema.Count(ctx, c.st, "SELECT 1", nil)
			return err
		}}
}
