package ui

import (
	"fmt"
	"html/template"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
	"github.com/activedefense/activedefense/web/ops"
)

// Config holds the restart-only settings of the web application.
type Config struct {
	Secure  bool   // served over TLS: Secure, __Host- cookies and HSTS
	LogDir  string // devices and file feeds may only name files under it (shown in forms)
	Version string
}

// Deps are the services the pages call.
type Deps struct {
	Store    schema.Store      // reads of logs, rollups, rejected lines
	Hunt     schema.RawQuerier // the hunting console's read-only store
	Detect   ops.Detect        // blacklist, allowlist, detections, settings, notifications, feeds
	Devices  ops.Devices       // registered firewall log files
	Jobs     ops.Jobs          // scheduler status
	EDL      ops.EDLClients    // who polls the EDLs
	Users    *auth.Users       // web users
	Sessions *auth.Sessions    // web sessions
	Tokens   *auth.Tokens      // API tokens
	// SetupToken returns the one-time setup token printed on the console
	// while no user exists, and "" afterwards.
	SetupToken func() string
}

// UI is the web application. Safe for concurrent use.
type UI struct {
	cfg      Config
	d        Deps
	log      *logrus.Entry
	pages    map[string]*template.Template
	assets   map[string]string // static file name -> content hash (cache busting)
	throttle *throttle
	users    *userCache
	now      func() time.Time
}

// New parses the templates and indexes the static files; it does no I/O.
func New(cfg Config, d Deps, log *logrus.Entry) (*UI, error) {
	switch {
	case d.Store == nil, d.Detect == nil, d.Devices == nil, d.Jobs == nil, d.EDL == nil,
		d.Users == nil, d.Sessions == nil, d.Tokens == nil:
		return nil, fmt.Errorf("web ui: a required dependency is missing")
	}
	if d.SetupToken == nil {
		d.SetupToken = func() string { return "" }
	}
	u := &UI{cfg: cfg, d: d, log: log, throttle: newThrottle(), users: newUserCache(), now: time.Now}
	var err error
	if u.assets, err = hashAssets(); err != nil {
		return nil, err
	}
	if u.pages, err = u.parseTemplates(); err != nil {
		return nil, err
	}
	return u, nil
}

// Register adds every page route and the static files. Machine routes
// (/healthz, /metrics, /api/v1, /edl, /files, /clickhouse) must be
// registered before.
func (u *UI) Register(app fiber.Router) {
	app.Get("/static/*", u.headers, u.static())
	app.Get("/favicon.ico", u.headers, u.favicon)
	app.Use(u.headers, u.recover, u.loadSession, u.checkCSRF)

	app.Get("/login", u.loginPage)
	app.Post("/login", u.loginSubmit)
	app.Get("/setup", u.setupPage)
	app.Post("/setup", u.setupSubmit)

	r := app.Group("", u.requireLogin)
	r.Post("/logout", u.logout)
	r.Get("/", u.dashboard)
	r.Get("/dashboard/data", u.dashboardData)
	r.Get("/records", u.records)
	r.Get("/records.csv", u.recordsCSV)
	r.Get("/records/view", u.record)
	r.Get("/blacklist", u.blacklist)
	r.Get("/blacklist/view", u.blacklistEntry)
	r.Post("/blacklist/add", u.requireWrite, u.blacklistAdd)
	r.Post("/blacklist/remove", u.requireWrite, u.blacklistRemove)
	r.Get("/allowlist", u.allowlist)
	r.Post("/allowlist/add", u.requireWrite, u.allowlistAdd)
	r.Post("/allowlist/remove", u.requireWrite, u.allowlistRemove)
	r.Get("/detections", u.detections)
	r.Post("/detections/decide", u.requireWrite, u.detectionsDecide)
	r.Get("/settings", u.settings)
	r.Get("/settings/describe", u.settingsDescribe)
	r.Post("/settings", u.requireWrite, u.settingsSave)
	r.Post("/settings/backtest", u.backtest)
	r.Get("/system", u.system)
	r.Get("/system/status", u.systemStatus)
	r.Post("/system/enabled", u.requireWrite, u.systemEnabled)
	r.Post("/system/run", u.requireWrite, u.systemRun)
	r.Post("/system/smtp", u.requireWrite, u.smtpSave)
	r.Post("/system/smtp/test", u.requireWrite, u.smtpTest)
	r.Post("/system/recipients/add", u.requireWrite, u.recipientAdd)
	r.Post("/system/recipients/remove", u.requireWrite, u.recipientRemove)
	r.Post("/system/webhooks/add", u.requireWrite, u.webhookAdd)
	r.Post("/system/webhooks/remove", u.requireWrite, u.webhookRemove)
	r.Post("/system/feeds/add", u.requireWrite, u.feedAdd)
	r.Post("/system/feeds/remove", u.requireWrite, u.feedRemove)
	r.Post("/system/feeds/refresh", u.requireWrite, u.feedRefresh)
	r.Get("/devices", u.devices)
	r.Get("/devices/status", u.devicesStatus)
	r.Get("/devices/rejected", u.rejected)
	r.Post("/devices/save", u.requireWrite, u.deviceSave)
	r.Post("/devices/remove", u.requireWrite, u.deviceRemove)
	r.Get("/hunt", u.requireHunt, u.hunt)
	r.Post("/hunt", u.requireHunt, u.huntRun)
	r.Get("/audit", u.audit)
	r.Get("/account", u.account)
	r.Post("/account/password", u.accountPassword)
	r.Get("/users", u.requireAdmin, u.usersPage)
	r.Post("/users/add", u.requireAdmin, u.userAdd)
	r.Post("/users/change", u.requireAdmin, u.userChange)
	r.Post("/users/remove", u.requireAdmin, u.userRemove)
	r.Get("/tokens", u.requireAdmin, u.tokensPage)
	r.Post("/tokens/add", u.requireAdmin, u.tokenAdd)
	r.Post("/tokens/remove", u.requireAdmin, u.tokenRemove)
	r.Use(u.notFound)
}

// ErrorHandler renders an error that reached the app's error handler (for
// example from a middleware before the pages) as an error page.
func (u *UI) ErrorHandler(c *fiber.Ctx, err error) error { return u.renderError(c, err) }
