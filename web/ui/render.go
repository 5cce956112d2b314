package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
)

//go:embed templates static
var files embed.FS

// page is what every template gets.
type page struct {
	Title   string
	Nav     string // active navigation entry
	User    auth.Principal
	In      bool // logged in
	CSRF    string
	Version string
	Flash   string            // one-time message after a change
	Error   string            // page-level error
	Errors  map[string]string // form field -> what is wrong
	Form    map[string]string // submitted values, shown again after an error
	Data    any
	Now     time.Time
}

func (u *UI) newPage(c *fiber.Ctx, title string) *page {
	p, in := auth.From(c)
	pg := &page{Title: title, User: p, In: in, Version: u.cfg.Version, Errors: map[string]string{},
		Form: map[string]string{}, Now: u.now().UTC()}
	pg.CSRF = u.csrfToken(c)
	pg.Flash = u.takeFlash(c)
	return pg
}

// parseTemplates parses the layout with each page once.
func (u *UI) parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(u.funcs()).ParseFS(files, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("parsing layout: %w", err)
	}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		t, err := template.Must(base.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", n, err)
		}
		out[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return out, nil
}

// render executes a page inside the layout.
func (u *UI) render(c *fiber.Ctx, name string, pg *page) error {
	return u.renderTemplate(c, name, "layout.html", pg)
}

// renderFragment executes one named template of a page (polled parts).
func (u *UI) renderFragment(c *fiber.Ctx, name, fragment string, pg *page) error {
	return u.renderTemplate(c, name, fragment, pg)
}

func (u *UI) renderTemplate(c *fiber.Ctx, name, tmpl string, pg *page) error {
	t, ok := u.pages[name]
	if !ok {
		return fmt.Errorf("no template %s", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, pg); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	c.Set("Cache-Control", "no-store")
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

func (u *UI) funcs() template.FuncMap {
	return template.FuncMap{
		"static": func(name string) string { return "/static/" + name + "?v=" + u.assets[name] },
		"tm":     fmtTime,
		"ago":    func(t time.Time) string { return ago(u.now(), t) },
		"dur":    fmtDuration,
		"num":    fmtNum,
		"bytes":  fmtBytes,
		"join":   strings.Join,
		"ferr":   func(pg *page, field string) string { return pg.Errors[field] },
		"val": func(pg *page, field string, def any) string {
			if v, ok := pg.Form[field]; ok {
				return v
			}
			return fmt.Sprint(def)
		},
		"eq2":     func(a, b string) bool { return a == b },
		"pct":     func(n, of uint64) uint64 { return pct(n, of) },
		"safeURL": func(s string) template.URL { return template.URL(safeLink(s)) },
		"list":    func(v ...int) []int { return v },
		"query": func(s string) map[string]string {
			out := map[string]string{}
			v, _ := url.ParseQuery(s)
			for k := range v {
				out[k] = v.Get(k)
			}
			return out
		},
		"tops":   newTops,
		"sfield": newSettingField,
	}
}

// topsView is a top-N table with bars scaled to its largest count.
type topsView struct {
	Items []topItem
	Max   uint64
	Empty string
}

func newTops(items []topItem, empty string) topsView {
	v := topsView{Items: items, Empty: empty, Max: 1}
	for _, it := range items {
		v.Max = max(v.Max, it.Count)
	}
	return v
}

// settingField is one setting's input.
type settingField struct {
	Def      schema.SettingDef
	Value    string
	Err      string
	Secret   bool
	ReadOnly bool
}

func newSettingField(pg *page, def schema.SettingDef, vals map[string]string) settingField {
	f := settingField{Def: def, Value: vals[def.Key], Err: pg.Errors[def.Key], ReadOnly: !pg.User.CanWrite(),
		Secret: def.Kind == schema.KindSecret || def.Kind == schema.KindDigest}
	if v, ok := pg.Form[def.Key]; ok && !f.Secret {
		f.Value = v
	}
	return f
}

// safeLink passes only relative links of this site.
func safeLink(s string) string {
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.ContainsAny(s, "\\\r\n") {
		return s
	}
	return "/"
}

func pct(n, of uint64) uint64 {
	if of == 0 {
		return 0
	}
	return n * 100 / of
}

// hashAssets fingerprints every static file for cache busting.
func hashAssets() (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexing static files: %w", err)
	}
	return out, nil
}

// static serves the embedded files; a request naming the current hash is
// cached for a year.
func (u *UI) static() fiber.Handler {
	return func(c *fiber.Ctx) error {
		name := path.Clean(c.Params("*"))
		h, ok := u.assets[name]
		if !ok || strings.Contains(name, "..") {
			return c.Status(fiber.StatusNotFound).SendString("not found")
		}
		b, err := files.ReadFile("static/" + name)
		if err != nil {
			return c.Status(fiber.StatusNotFound).SendString("not found")
		}
		if c.Query("v") == h {
			c.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			c.Set("Cache-Control", "no-cache")
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		c.Set("Content-Type", ct)
		return c.Send(b)
	}
}

// favicon answers browsers that ask for /favicon.ico.
func (u *UI) favicon(c *fiber.Ctx) error {
	b, err := files.ReadFile("static/favicon.svg")
	if err != nil {
		return err
	}
	c.Set("Cache-Control", "public, max-age=86400")
	c.Set("Content-Type", "image/svg+xml")
	return c.Send(b)
}

// Flash messages survive one redirect in a short-lived cookie.
const flashCookie = "ad_flash"

func (u *UI) flash(c *fiber.Ctx, msg string) {
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	u.setCookie(c, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(msg)), time.Now().Add(time.Minute))
}

func (u *UI) takeFlash(c *fiber.Ctx) string {
	v := c.Cookies(flashCookie)
	if v == "" {
		return ""
	}
	u.clearCookie(c, flashCookie)
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// done redirects after a successful change with a message.
func (u *UI) done(c *fiber.Ctx, to, msg string) error {
	u.flash(c, msg)
	return c.Redirect(safeLink(to), fiber.StatusSeeOther)
}
