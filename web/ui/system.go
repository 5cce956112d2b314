package ui

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

type systemData struct {
	Enabled    bool
	Mode       string
	Jobs       []schema.JobStatus
	Runs       []schema.Run
	SMTP       []schema.SettingDef
	Values     map[string]string
	Recipients []string
	Webhooks   []schema.Webhook
	Feeds      []schema.FeedStatus
	Clients    []schema.EDLClient
	LogDir     string
}

func (u *UI) system(c *fiber.Ctx) error {
	return u.showSystem(c, u.newPage(c, "System"))
}

func (u *UI) loadSystem(c *fiber.Ctx) (systemData, error) {
	ctx := c.UserContext()
	v := u.d.Detect.Settings().Values()
	d := systemData{Enabled: v.Bool(schema.SystemEnabled), Mode: v.Get(schema.DetectMode), Jobs: u.d.Jobs.Status(),
		Values: v.Map(), LogDir: u.cfg.LogDir}
	var err error
	if d.Runs, err = u.d.Detect.ListRuns(ctx, 10); err != nil {
		return d, err
	}
	for _, def := range schema.SettingDefs {
		if strings.HasPrefix(def.Key, "smtp.") {
			d.SMTP = append(d.SMTP, def)
		}
	}
	if d.Recipients, err = u.d.Detect.ListRecipients(ctx); err != nil {
		return d, err
	}
	if d.Webhooks, err = u.d.Detect.ListWebhooks(ctx); err != nil {
		return d, err
	}
	if d.Feeds, err = u.d.Detect.ListFeeds(ctx); err != nil {
		return d, err
	}
	if d.Clients, err = u.d.EDL.Clients(ctx); err != nil {
		return d, err
	}
	return d, nil
}

func (u *UI) showSystem(c *fiber.Ctx, pg *page) error {
	pg.Nav = "system"
	d, err := u.loadSystem(c)
	if err != nil {
		return err
	}
	pg.Data = d
	return u.render(c, "system", pg)
}

// systemStatus is the polled part of the system page.
func (u *UI) systemStatus(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	d, err := u.loadSystem(c)
	if err != nil {
		return err
	}
	pg.Data = d
	return u.renderFragment(c, "system", "status", pg)
}

func (u *UI) systemEnabled(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	on := form(c, pg, "enabled")
	if _, err := u.d.Detect.SetSettings(c.UserContext(), principal(c).Actor(), map[string]string{schema.SystemEnabled: on}); err != nil {
		return formFailed(c, pg, err, "", u.showSystem)
	}
	if on == "true" {
		return u.done(c, "/system", "Detection, expiry and feeds are on.")
	}
	return u.done(c, "/system", "Detection, expiry and feeds are off; logs are still ingested.")
}

func (u *UI) systemRun(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	res, err := u.d.Detect.Run(c.UserContext(), "manual")
	if err != nil {
		return formFailed(c, pg, err, "", u.showSystem)
	}
	return u.done(c, "/system", "Detection ran: "+fmtNum(res.Found)+" found, "+fmtNum(res.Blocked)+" newly blocked, "+
		fmtNum(res.Monitored)+" monitored, "+fmtNum(res.Held)+" held.")
}

func (u *UI) smtpSave(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	ch := map[string]string{}
	cur := u.d.Detect.Settings().Values().Map()
	for _, def := range schema.SettingDefs {
		if !strings.HasPrefix(def.Key, "smtp.") {
			continue
		}
		v := form(c, pg, def.Key)
		if def.Kind == schema.KindSecret {
			if v != "" {
				ch[def.Key] = v
			}
			delete(pg.Form, def.Key) // never echo a password
			continue
		}
		if v != cur[def.Key] {
			ch[def.Key] = v
		}
	}
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showSystem)
	}
	if len(ch) == 0 {
		return u.done(c, "/system", "Mail settings unchanged.")
	}
	if _, err := u.d.Detect.SetSettings(c.UserContext(), principal(c).Actor(), ch); err != nil {
		return formFailed(c, pg, err, "", u.showSystem)
	}
	return u.done(c, "/system", "Mail settings saved. Send a test email to check them.")
}

func (u *UI) smtpTest(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	if err := u.d.Detect.TestEmail(c.UserContext()); err != nil {
		// The mail server's answer is the user's to read (wrong password, host).
		pg.Errors["smtp_test"] = err.Error()
		c.Status(fiber.StatusUnprocessableEntity)
		return u.showSystem(c, pg)
	}
	return u.done(c, "/system", "Test email sent to every recipient.")
}

func (u *UI) recipientAdd(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	email := form(c, pg, "email")
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showSystem)
	}
	got, err := u.d.Detect.AddRecipient(c.UserContext(), principal(c).Actor(), email)
	if err != nil {
		return formFailed(c, pg, err, "email", u.showSystem)
	}
	return u.done(c, "/system", got+" will get notifications.")
}

func (u *UI) recipientRemove(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	email := form(c, pg, "email")
	if err := u.d.Detect.RemoveRecipient(c.UserContext(), principal(c).Actor(), email); err != nil {
		return formFailed(c, pg, err, "", u.showSystem)
	}
	return u.done(c, "/system", email+" removed.")
}

func (u *UI) webhookAdd(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	req := schema.WebhookAdd{Name: form(c, pg, "name"), URL: form(c, pg, "url"), Secret: c.FormValue("secret")}
	if len(req.Secret) > maxField {
		pg.Errors["secret"] = "is too long"
	}
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showSystem)
	}
	w, err := u.d.Detect.AddWebhook(c.UserContext(), principal(c).Actor(), req)
	if err != nil {
		return formFailed(c, pg, err, "url", u.showSystem)
	}
	return u.done(c, "/system", "Webhook "+w.Name+" added.")
}

func (u *UI) webhookRemove(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	name := form(c, pg, "name")
	if err := u.d.Detect.RemoveWebhook(c.UserContext(), principal(c).Actor(), name); err != nil {
		return formFailed(c, pg, err, "", u.showSystem)
	}
	return u.done(c, "/system", "Webhook "+name+" removed.")
}

func (u *UI) feedAdd(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	req := schema.FeedAdd{Name: form(c, pg, "feed_name"), URL: form(c, pg, "feed_url"), Interval: form(c, pg, "feed_interval")}
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showSystem)
	}
	f, err := u.d.Detect.AddFeed(c.UserContext(), principal(c).Actor(), req, false)
	if err != nil {
		return formFailed(c, pg, feedFields(err), "feed_url", u.showSystem)
	}
	return u.done(c, "/system", "Feed "+f.Name+" added; it is fetched at the next refresh.")
}

// feedFields renames the feed operation's fields to the form's.
func feedFields(err error) error {
	var out []error
	for _, e := range flatten(err) {
		var fe *schema.FieldError
		if errors.As(e, &fe) {
			e = &schema.FieldError{Field: "feed_" + fe.Field, Msg: fe.Msg}
		}
		out = append(out, e)
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

func (u *UI) feedRemove(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	name := form(c, pg, "feed_name")
	if err := u.d.Detect.RemoveFeed(c.UserContext(), principal(c).Actor(), name); err != nil {
		return formFailed(c, pg, err, "", u.showSystem)
	}
	return u.done(c, "/system", "Feed "+name+" removed.")
}

func (u *UI) feedRefresh(c *fiber.Ctx) error {
	pg := u.newPage(c, "System")
	if err := u.d.Detect.RefreshFeeds(c.UserContext(), true); err != nil {
		return formFailed(c, pg, err, "", u.showSystem)
	}
	return u.done(c, "/system", "Feeds refreshed; see each feed's state below.")
}
