package ui

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
)

type loginData struct {
	Next     string
	NoUsers  bool // the setup page is open
	LockedIn string
}

func (u *UI) loginPage(c *fiber.Ctx) error {
	if _, ok := auth.From(c); ok {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	pg := u.newPage(c, "Log in")
	return u.showLogin(c, pg)
}

func (u *UI) showLogin(c *fiber.Ctx, pg *page) error {
	next := c.Query("next")
	if v, ok := pg.Form["next"]; ok {
		next = v
	}
	pg.Data = loginData{Next: safeLink(next), NoUsers: u.d.SetupToken() != ""}
	return u.render(c, "login", pg)
}

func (u *UI) loginSubmit(c *fiber.Ctx) error {
	pg := u.newPage(c, "Log in")
	name, pw := form(c, pg, "name"), c.FormValue("password")
	form(c, pg, "next")
	if len(pw) > 1024 {
		pw = ""
	}
	now := u.now()
	if wait := u.throttle.blocked(now, name, c.IP()); wait > 0 {
		pg.Error = fmt.Sprintf("Too many failed logins. Try again in %d minutes.", int(wait.Minutes())+1)
		c.Status(fiber.StatusTooManyRequests)
		return u.showLogin(c, pg)
	}
	usr, err := u.d.Users.Check(c.UserContext(), name, pw)
	if err != nil {
		if !errors.Is(err, schema.ErrUnauthorized) {
			return err
		}
		u.throttle.fail(now, name, c.IP())
		u.log.WithFields(logrus.Fields{"user": name, "remote_addr": c.IP()}).Warn("login failed")
		pg.Error = "Wrong user name or password."
		c.Status(fiber.StatusUnauthorized)
		return u.showLogin(c, pg)
	}
	u.throttle.success(name)
	if err := u.startSession(c, usr.Name); err != nil {
		return err
	}
	return c.Redirect(safeLink(pg.Form["next"]), fiber.StatusSeeOther)
}

// startSession creates a session and sets its cookie.
func (u *UI) startSession(c *fiber.Ctx, user string) error {
	id, exp, err := u.d.Sessions.Create(c.UserContext(), user)
	if err != nil {
		return err
	}
	u.setCookie(c, auth.CookieName(u.cfg.Secure), id, exp)
	u.clearCookie(c, u.preCookie())
	act := schema.Actor{Name: "user:" + user, Remote: c.IP()}
	if err := schema.PutAudit(c.UserContext(), u.d.Store, act.Event(schema.AuditLogin, "session", "logged in")); err != nil {
		u.log.WithError(err).Warn("audit of login failed")
	}
	return nil
}

func (u *UI) logout(c *fiber.Ctx) error {
	if id, ok := c.Locals(sessionKey).(string); ok {
		if err := u.d.Sessions.End(c.UserContext(), id); err != nil {
			return err
		}
	}
	u.clearCookie(c, auth.CookieName(u.cfg.Secure))
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (u *UI) setupPage(c *fiber.Ctx) error {
	if u.d.SetupToken() == "" {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	pg := u.newPage(c, "Set up the first admin")
	return u.render(c, "setup", pg)
}

func (u *UI) setupSubmit(c *fiber.Ctx) error {
	want := u.d.SetupToken()
	if want == "" {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	pg := u.newPage(c, "Set up the first admin")
	tok, name := form(c, pg, "token"), form(c, pg, "name")
	pw, pw2 := c.FormValue("password"), c.FormValue("password2")
	show := func(c *fiber.Ctx, pg *page) error { return u.render(c, "setup", pg) }
	now := u.now()
	if wait := u.throttle.blocked(now, "setup", c.IP()); wait > 0 {
		pg.Error = fmt.Sprintf("Too many wrong tokens. Try again in %d minutes.", int(wait.Minutes())+1)
		c.Status(fiber.StatusTooManyRequests)
		return show(c, pg)
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(want)) != 1 {
		u.throttle.fail(now, "setup", c.IP())
		pg.Errors["token"] = "is not the setup token printed on the server's console"
		return formFailed(c, pg, nil, "", show)
	}
	if pw != pw2 {
		pg.Errors["password2"] = "does not match the password"
		return formFailed(c, pg, nil, "", show)
	}
	usr, err := u.d.Users.Add(c.UserContext(), schema.Actor{Name: "setup", Remote: c.IP()},
		auth.UserAdd{Name: name, Role: schema.RoleAdmin, Password: pw})
	if err != nil {
		return formFailed(c, pg, err, "name", show)
	}
	if err := u.startSession(c, usr.Name); err != nil {
		return err
	}
	u.flash(c, "Welcome. You are the first admin; add devices on the Devices page to start.")
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (u *UI) account(c *fiber.Ctx) error {
	return u.render(c, "account", u.newPage(c, "Your account"))
}

func (u *UI) accountPassword(c *fiber.Ctx) error {
	pg := u.newPage(c, "Your account")
	p := principal(c)
	show := func(c *fiber.Ctx, pg *page) error { return u.render(c, "account", pg) }
	cur, pw, pw2 := c.FormValue("current"), c.FormValue("password"), c.FormValue("password2")
	if wait := u.throttle.blocked(u.now(), p.Name, c.IP()); wait > 0 {
		pg.Errors["current"] = fmt.Sprintf("too many wrong passwords; try again in %d minutes", int(wait.Minutes())+1)
		return formFailed(c, pg, nil, "", show)
	}
	if _, err := u.d.Users.Check(c.UserContext(), p.Name, cur); err != nil {
		if !errors.Is(err, schema.ErrUnauthorized) {
			return err
		}
		u.throttle.fail(u.now(), p.Name, c.IP())
		pg.Errors["current"] = "is not your current password"
		return formFailed(c, pg, nil, "", show)
	}
	if pw != pw2 {
		pg.Errors["password2"] = "does not match the new password"
		return formFailed(c, pg, nil, "", show)
	}
	if _, err := u.d.Users.Change(c.UserContext(), p.Actor(), p.Name, auth.UserChange{Password: pw}); err != nil {
		return formFailed(c, pg, err, "password", show)
	}
	u.d.Sessions.Forget(p.Name)
	u.users.forget(p.Name)
	if err := u.startSession(c, p.Name); err != nil { // every other session ended
		return err
	}
	return u.done(c, "/account", "Password changed. Your other sessions were logged out.")
}

// loginURL is the login page returning to next.
func loginURL(next string) string {
	if next == "" || next == "/" || !strings.HasPrefix(next, "/") {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}
