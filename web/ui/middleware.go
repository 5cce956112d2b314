package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
)

// csp allows nothing inline: scripts, styles, images and fetches only from
// this origin.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets the security headers of every page and static file.
func (u *UI) headers(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if u.cfg.Secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	return c.Next()
}

// recover turns handler errors and panics into error pages.
func (u *UI) recover(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = u.renderError(c, fmt.Errorf("panic: %v", r))
		}
	}()
	if err := c.Next(); err != nil {
		return u.renderError(c, err)
	}
	return nil
}

// renderError shows err: user errors with their message and status,
// anything else as a logged internal error without details.
func (u *UI) renderError(c *fiber.Ctx, err error) error {
	code, msg := statusOf(err)
	if code >= 500 {
		u.log.WithError(err).WithFields(logrus.Fields{"path": c.Path(), "method": c.Method()}).Error("page failed")
		msg = "Something went wrong on the server; the error is in the service log."
	}
	pg := u.newPage(c, "Error")
	pg.Error = msg
	pg.Data = code
	c.Status(code)
	return u.render(c, "error", pg)
}

// statusOf maps an error to an HTTP status and a message for the user.
func statusOf(err error) (int, string) {
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		return fe.Code, fe.Message
	case errors.Is(err, schema.ErrInvalid), errors.Is(err, schema.ErrProtected):
		return fiber.StatusUnprocessableEntity, err.Error()
	case errors.Is(err, schema.ErrExists):
		return fiber.StatusConflict, err.Error()
	case errors.Is(err, schema.ErrNotFound):
		return fiber.StatusNotFound, err.Error()
	case errors.Is(err, schema.ErrForbidden):
		return fiber.StatusForbidden, err.Error()
	case errors.Is(err, schema.ErrUnauthorized):
		return fiber.StatusUnauthorized, err.Error()
	}
	return fiber.StatusInternalServerError, ""
}

// isUserError reports whether err is the caller's to fix (shown as is).
func isUserError(err error) bool {
	code, _ := statusOf(err)
	return code < 500
}

// loadSession puts the session's principal in the request, if any.
func (u *UI) loadSession(c *fiber.Ctx) error {
	id := c.Cookies(auth.CookieName(u.cfg.Secure))
	if id == "" {
		return c.Next()
	}
	sess, err := u.d.Sessions.Lookup(c.UserContext(), id)
	if err != nil {
		if !errors.Is(err, schema.ErrUnauthorized) {
			return err
		}
		return c.Next()
	}
	usr, err := u.users.get(c.UserContext(), u.d.Store, sess.User)
	if errors.Is(err, schema.ErrNotFound) || (err == nil && usr.Disabled) {
		return c.Next()
	}
	if err != nil {
		return err
	}
	auth.Set(c, auth.Principal{Name: usr.Name, Kind: auth.KindSession, Role: usr.Role, Hunt: usr.Hunt, Remote: c.IP()})
	c.Locals(sessionKey, strings.Clone(id))
	return c.Next()
}

const sessionKey = "ui.session"

// requireLogin sends visitors without a session to the login page.
func (u *UI) requireLogin(c *fiber.Ctx) error {
	if _, ok := auth.From(c); ok {
		return c.Next()
	}
	next := c.OriginalURL()
	if c.Method() != fiber.MethodGet || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/"
	}
	return c.Redirect(loginURL(next), fiber.StatusSeeOther)
}

func (u *UI) requireWrite(c *fiber.Ctx) error {
	if p, _ := auth.From(c); !p.CanWrite() {
		return fiber.NewError(fiber.StatusForbidden, "Your role (viewer) may look but not change anything; ask an admin.")
	}
	return c.Next()
}

func (u *UI) requireAdmin(c *fiber.Ctx) error {
	if p, _ := auth.From(c); !p.IsAdmin() {
		return fiber.NewError(fiber.StatusForbidden, "Only admins may manage users and API tokens.")
	}
	return c.Next()
}

func (u *UI) requireHunt(c *fiber.Ctx) error {
	if p, _ := auth.From(c); !p.CanHunt() {
		return fiber.NewError(fiber.StatusForbidden, "The hunting console is for admins and users given the hunt right.")
	}
	return c.Next()
}

func (u *UI) notFound(c *fiber.Ctx) error {
	return fiber.NewError(fiber.StatusNotFound, "There is no page at this address; use the navigation above.")
}

// principal returns the request's principal (requireLogin ran).
func principal(c *fiber.Ctx) auth.Principal {
	p, _ := auth.From(c)
	return p
}
