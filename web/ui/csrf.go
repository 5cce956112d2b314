package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

// CSRF: a synchronizer token derived from a secret the browser holds only
// in an HttpOnly cookie: the session id when logged in, else a pre-session
// cookie (login and setup forms). Nothing is stored server-side and tokens
// survive restarts; another site can neither read the cookie nor compute
// the token.

// preCookie is the pre-session cookie's name.
func (u *UI) preCookie() string {
	if u.cfg.Secure {
		return "__Host-ad_pre"
	}
	return "ad_pre"
}

// csrfToken returns the token forms of this request must carry, setting
// the pre-session cookie when there is no session yet.
func (u *UI) csrfToken(c *fiber.Ctx) string {
	return tokenFor(u.csrfSecret(c, true))
}

// csrfSecret returns the secret the token is derived from; with create, a
// visitor without one gets a new pre-session cookie.
func (u *UI) csrfSecret(c *fiber.Ctx, create bool) string {
	if id, ok := c.Locals(sessionKey).(string); ok && id != "" {
		return "session:" + id
	}
	if pre, ok := c.Locals(preKey).(string); ok {
		return "pre:" + pre
	}
	pre := c.Cookies(u.preCookie())
	if (pre == "" || len(pre) > 64) && create {
		pre = schema.NewToken(24)
		u.setCookie(c, u.preCookie(), pre, time.Now().Add(24*time.Hour))
	}
	if pre == "" || len(pre) > 64 {
		return ""
	}
	c.Locals(preKey, strings.Clone(pre))
	return "pre:" + pre
}

const preKey = "ui.pre"

func tokenFor(secret string) string {
	if secret == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("activedefense csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a state-changing request without the right token: 403,
// never a redirect.
func (u *UI) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("csrf")
	}
	want := tokenFor(u.csrfSecret(c, false))
	if want == "" || got == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return fiber.NewError(fiber.StatusForbidden,
			"This form has expired or did not come from this site (missing or wrong CSRF token). Reload the page and try again.")
	}
	return c.Next()
}

// setCookie sets an HttpOnly, SameSite=Lax cookie (Secure under TLS).
func (u *UI) setCookie(c *fiber.Ctx, name, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", Expires: expires, Secure: u.cfg.Secure,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

func (u *UI) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1, Secure: u.cfg.Secure,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}
