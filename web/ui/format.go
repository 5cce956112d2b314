package ui

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

func urlq(s string) string { return url.QueryEscape(s) }

func fmtTime(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// ago says how long ago t was, in words.
func ago(now, t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "never"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func fmtDuration(d time.Duration) string {
	if d < 0 {
		return "—"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// fmtNum writes an integer with thousands separators.
func fmtNum(v any) string {
	s := fmt.Sprint(v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if _, err := strconv.ParseUint(s, 10, 64); err != nil || len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// maxField is the longest value any form field accepts.
const maxField = 4096

// form reads a form field, trimmed; over-long values become a field error.
func form(c *fiber.Ctx, pg *page, name string) string {
	v := strings.TrimSpace(c.FormValue(name))
	if len(v) > maxField {
		pg.Errors[name] = fmt.Sprintf("is too long (%d bytes; at most %d)", len(v), maxField)
		v = v[:64]
	}
	pg.Form[name] = strings.Clone(v)
	return pg.Form[name]
}

// applyError puts err beside the fields it names, or on the page. It
// returns false for errors that are not the user's (store trouble).
func applyError(pg *page, err error, defaultField string) bool {
	if !isUserError(err) {
		return false
	}
	var found bool
	for _, e := range flatten(err) {
		var fe *schema.FieldError
		if errors.As(e, &fe) {
			pg.Errors[fe.Field] = fe.Msg
			found = true
		}
	}
	if !found {
		if defaultField != "" {
			pg.Errors[defaultField] = err.Error()
		} else {
			pg.Error = err.Error()
		}
	}
	return true
}

// flatten unpacks joined errors.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// formFailed re-renders a page after a refused change (422), or returns
// err when it is not the user's to fix.
func formFailed(c *fiber.Ctx, pg *page, err error, field string, show func(*fiber.Ctx, *page) error) error {
	if err != nil && !applyError(pg, err, field) {
		return err
	}
	c.Status(fiber.StatusUnprocessableEntity)
	return show(c, pg)
}
