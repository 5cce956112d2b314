package api

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
)

// Register mounts the API under /api/v1 on r. With socket, every request is
// the administrator (the Unix socket is 0600 to the service user) and the
// socket-only operations exist; otherwise callers authenticate with an API
// token (Authorization: Bearer), or a web session for reading.
func (a *API) Register(r fiber.Router, socket bool, secureCookies bool) {
	g := r.Group("/api/v1")
	if socket {
		g.Use(func(c *fiber.Ctx) error {
			auth.Set(c, auth.Socket)
			return c.Next()
		})
	} else {
		g.Use(a.authenticate(secureCookies))
	}
	g.Use(func(c *fiber.Ctx) error { // writes need a write scope or an admin
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead && !principal(c).CanWrite() {
			return forbidden("this credential may only read")
		}
		return c.Next()
	})
	g.Get("/status", a.status)

	g.Get("/blacklist", a.listBlacklist)
	g.Post("/blacklist", a.addBlacklist)
	g.Post("/blacklist/expire", a.expireBlacklist)
	g.Post("/blacklist/import", a.importBlacklist)
	g.Get("/blacklist/:ip", a.getBlacklist)
	g.Delete("/blacklist/:ip", a.removeBlacklist)

	g.Get("/allowlist", a.listAllowlist)
	g.Post("/allowlist", a.addAllowlist)
	g.Post("/allowlist/import", a.importAllowlist)
	g.Delete("/allowlist", a.removeAllowlist) // ?cidr=
	g.Get("/protected/:ip", a.protected)

	g.Get("/feeds", a.listFeeds)
	g.Post("/feeds", a.addFeed)
	g.Post("/feeds/refresh", a.refreshFeeds)
	g.Get("/feeds/entries", a.feedEntries)
	g.Delete("/feeds/:name", a.removeFeed)

	g.Get("/settings", a.listSettings)
	g.Patch("/settings", a.setSettings)

	g.Post("/detect/run", a.runDetect)
	g.Post("/detect/backtest", a.backtest)
	g.Get("/detect/runs", a.listRuns)
	g.Get("/detections", a.listDetections)
	g.Post("/detections/approve", a.decideHeld(true))
	g.Post("/detections/discard", a.decideHeld(false))
	g.Get("/jobs", a.jobs)
	g.Get("/audit", a.listAudit)

	g.Get("/recipients", a.listRecipients)
	g.Post("/recipients", a.addRecipient)
	g.Delete("/recipients/:email", a.removeRecipient)
	g.Get("/webhooks", a.listWebhooks)
	g.Post("/webhooks", a.addWebhook)
	g.Delete("/webhooks/:name", a.removeWebhook)
	g.Post("/notify/test-email", a.testEmail)

	g.Get("/devices", a.listDevices)
	g.Post("/devices", a.addDevice)
	g.Patch("/devices/:name", a.changeDevice)
	g.Delete("/devices/:name", a.removeDevice)

	g.Get("/edl", a.edlLists)
	g.Get("/edl/clients", a.edlClients)

	g.Get("/users", requireAdmin, a.listUsers)
	g.Post("/users", requireAdmin, a.addUser)
	g.Patch("/users/:name", requireAdmin, a.changeUser)
	g.Delete("/users/:name", requireAdmin, a.removeUser)
	g.Get("/tokens", requireAdmin, a.listTokens)
	g.Post("/tokens", requireAdmin, a.addToken)
	g.Delete("/tokens/:name", requireAdmin, a.removeToken)

	if socket {
		g.Post("/sql", a.sql)
		g.Post("/import", a.importLogs)
		g.Post("/migrate", a.migrate)
		g.Post("/backup", a.backup)
		g.Post("/restore", a.restore)
	}
	g.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no such API endpoint: "+c.Method()+" "+c.Path())
	})
}

func forbidden(msg string) error { return errors.Join(errors.New(msg), schema.ErrForbidden) }

func requireAdmin(c *fiber.Ctx) error {
	if !principal(c).IsAdmin() {
		return forbidden("only an administrator may manage users and tokens")
	}
	return c.Next()
}

// authenticate accepts an API token (Authorization: Bearer) for any method,
// or a web session cookie for reads (changes from a browser go through the
// pages, which carry CSRF tokens).
func (a *API) authenticate(secure bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if h := c.Get(fiber.HeaderAuthorization); h != "" {
			scheme, secret, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				return errors.Join(errors.New("use Authorization: Bearer TOKEN"), schema.ErrUnauthorized)
			}
			tok, err := a.d.Tokens.Verify(ctx, strings.TrimSpace(secret))
			if err != nil {
				return err
			}
			auth.Set(c, auth.TokenPrincipal(tok, c.IP()))
			return c.Next()
		}
		if id := c.Cookies(auth.CookieName(secure)); id != "" && c.Method() == fiber.MethodGet {
			p, err := a.sessionPrincipal(ctx, id, c.IP())
			if err != nil {
				return err
			}
			auth.Set(c, p)
			return c.Next()
		}
		return errors.Join(errors.New("an API token is required (Authorization: Bearer TOKEN)"), schema.ErrUnauthorized)
	}
}

func (a *API) sessionPrincipal(ctx context.Context, id, remote string) (auth.Principal, error) {
	s, err := a.d.Sessions.Lookup(ctx, id)
	if err != nil {
		return auth.Principal{}, err
	}
	u, err := schema.GetUser(ctx, a.d.Store, s.User)
	if err != nil {
		return auth.Principal{}, errors.Join(errors.New("session user is gone"), schema.ErrUnauthorized)
	}
	return auth.Principal{Name: u.Name, Kind: auth.KindSession, Role: u.Role, Hunt: u.Hunt, Remote: remote}, nil
}

func (a *API) status(c *fiber.Ctx) error {
	v := a.d.Detect.Settings().Values()
	return c.JSON(fiber.Map{"version": a.d.Version, "principal": principal(c), "system_enabled": v.Bool(schema.SystemEnabled),
		"detect_mode": v.Get(schema.DetectMode)})
}
