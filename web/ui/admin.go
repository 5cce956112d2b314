package ui

import (
	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
)

type usersData struct {
	Users []schema.User
}

func (u *UI) usersPage(c *fiber.Ctx) error {
	return u.showUsers(c, u.newPage(c, "Users"))
}

func (u *UI) showUsers(c *fiber.Ctx, pg *page) error {
	us, err := u.d.Users.List(c.UserContext())
	if err != nil {
		return err
	}
	pg.Nav, pg.Data = "users", usersData{Users: us}
	return u.render(c, "users", pg)
}

func (u *UI) userAdd(c *fiber.Ctx) error {
	pg := u.newPage(c, "Users")
	req := auth.UserAdd{Name: form(c, pg, "name"), Role: form(c, pg, "role"), Hunt: form(c, pg, "hunt") == "on"}
	req.Password = c.FormValue("password")
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showUsers)
	}
	if _, err := u.d.Users.Add(c.UserContext(), principal(c).Actor(), req); err != nil {
		return formFailed(c, pg, err, "name", u.showUsers)
	}
	return u.done(c, "/users", "User "+req.Name+" added.")
}

func (u *UI) userChange(c *fiber.Ctx) error {
	pg := u.newPage(c, "Users")
	name := form(c, pg, "user")
	ch := auth.UserChange{Role: form(c, pg, "role"), Password: c.FormValue("password")}
	if c.FormValue("set_hunt") != "" {
		h := c.FormValue("hunt") == "on"
		ch.Hunt = &h
	}
	me := principal(c)
	if name == me.Name && ch.Role != "" && ch.Role != schema.RoleAdmin {
		pg.Errors["role"] = "you cannot take the admin role from yourself; another admin can"
		return formFailed(c, pg, nil, "", u.showUsers)
	}
	if _, err := u.d.Users.Change(c.UserContext(), me.Actor(), name, ch); err != nil {
		return formFailed(c, pg, err, "user", u.showUsers)
	}
	u.users.forget(name)
	msg := "User " + name + " changed."
	if ch.Password != "" {
		u.d.Sessions.Forget(name)
		msg += " Their sessions were logged out."
		if name == me.Name {
			if err := u.startSession(c, name); err != nil {
				return err
			}
		}
	}
	return u.done(c, "/users", msg)
}

func (u *UI) userRemove(c *fiber.Ctx) error {
	pg := u.newPage(c, "Users")
	name := form(c, pg, "user")
	me := principal(c)
	if name == me.Name {
		pg.Error = "You cannot remove yourself; another admin can."
		return formFailed(c, pg, nil, "", u.showUsers)
	}
	if err := u.d.Users.Remove(c.UserContext(), me.Actor(), name); err != nil {
		return formFailed(c, pg, err, "", u.showUsers)
	}
	u.d.Sessions.Forget(name)
	u.users.forget(name)
	return u.done(c, "/users", "User "+name+" removed and logged out.")
}

type tokensData struct {
	Tokens []schema.Token
	New    *auth.NewToken // just created: its secret is shown once
}

func (u *UI) tokensPage(c *fiber.Ctx) error {
	return u.showTokens(c, u.newPage(c, "API tokens"))
}

func (u *UI) showTokens(c *fiber.Ctx, pg *page) error {
	ts, err := u.d.Tokens.List(c.UserContext())
	if err != nil {
		return err
	}
	d, _ := pg.Data.(tokensData)
	d.Tokens = ts
	pg.Nav, pg.Data = "tokens", d
	return u.render(c, "tokens", pg)
}

func (u *UI) tokenAdd(c *fiber.Ctx) error {
	pg := u.newPage(c, "API tokens")
	req := auth.TokenAdd{Name: form(c, pg, "name"), Scope: form(c, pg, "scope")}
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showTokens)
	}
	nt, err := u.d.Tokens.Add(c.UserContext(), principal(c).Actor(), req)
	if err != nil {
		return formFailed(c, pg, err, "name", u.showTokens)
	}
	// Shown once, in this response only (never stored, never redirected).
	pg.Data = tokensData{New: &nt}
	pg.Form = map[string]string{}
	return u.showTokens(c, pg)
}

func (u *UI) tokenRemove(c *fiber.Ctx) error {
	pg := u.newPage(c, "API tokens")
	name := form(c, pg, "name")
	if err := u.d.Tokens.Remove(c.UserContext(), principal(c).Actor(), name); err != nil {
		return formFailed(c, pg, err, "", u.showTokens)
	}
	return u.done(c, "/tokens", "Token "+name+" removed; it stopped working at once.")
}
