package api

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
)

func (a *API) listDevices(c *fiber.Ctx) error {
	ds, err := a.d.Devices.ListDevices(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(ds))
}

func (a *API) addDevice(c *fiber.Ctx) error {
	var req schema.DeviceAdd
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := a.d.Devices.AddDevice(c.UserContext(), actor(c), req, principal(c).Trusted()); err != nil {
		return err
	}
	return created(c, req)
}

// changeDevice replaces the device's path, time zone and senders with the
// body's; a name in the body must be the one in the path.
func (a *API) changeDevice(c *fiber.Ctx) error {
	var req schema.DeviceAdd
	if err := decode(c, &req); err != nil {
		return err
	}
	name := param(c, "name")
	if req.Name != "" && req.Name != name {
		return schema.Invalid("name", "a device cannot be renamed (%q in the path, %q in the body): remove it and add a new one", name, req.Name)
	}
	req.Name = name
	if err := a.d.Devices.ChangeDevice(c.UserContext(), actor(c), req, principal(c).Trusted()); err != nil {
		return err
	}
	return c.JSON(req)
}

func (a *API) removeDevice(c *fiber.Ctx) error {
	if err := a.d.Devices.RemoveDevice(c.UserContext(), actor(c), param(c, "name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) listUsers(c *fiber.Ctx) error {
	us, err := a.d.Users.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(us))
}

func (a *API) addUser(c *fiber.Ctx) error {
	var req auth.UserAdd
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := a.d.Users.Add(c.UserContext(), actor(c), req)
	if err != nil {
		return err
	}
	return created(c, u)
}

func (a *API) changeUser(c *fiber.Ctx) error {
	var req auth.UserChange
	if err := decode(c, &req); err != nil {
		return err
	}
	name := param(c, "name")
	u, err := a.d.Users.Change(c.UserContext(), actor(c), name, req)
	if err != nil {
		return err
	}
	if req.Password != "" {
		a.d.Sessions.Forget(name)
	}
	return c.JSON(u)
}

func (a *API) removeUser(c *fiber.Ctx) error {
	name := param(c, "name")
	if err := a.d.Users.Remove(c.UserContext(), actor(c), name); err != nil {
		return err
	}
	a.d.Sessions.Forget(name)
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) listTokens(c *fiber.Ctx) error {
	ts, err := a.d.Tokens.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(ts))
}

func (a *API) addToken(c *fiber.Ctx) error {
	var req auth.TokenAdd
	if err := decode(c, &req); err != nil {
		return err
	}
	t, err := a.d.Tokens.Add(c.UserContext(), actor(c), req)
	if err != nil {
		return err
	}
	return created(c, t)
}

func (a *API) removeToken(c *fiber.Ctx) error {
	if err := a.d.Tokens.Remove(c.UserContext(), actor(c), param(c, "name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// SQLRequest is one statement for the administrator's read-write SQL.
type SQLRequest struct {
	Query  string `json:"query"`
	Header bool   `json:"header"`
}

// ErrorTrailer carries an error that happens after a SQL result started
// streaming.
const ErrorTrailer = "X-Ad-Error"

// sql runs one statement on the application store and streams TSV (socket
// only: hunting over TCP goes through the read-only store).
func (a *API) sql(c *fiber.Ctx) error {
	var req SQLRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Query) == "" {
		return schema.Invalid("query", "is empty")
	}
	ctx := c.UserContext()
	rows, err := a.d.Store.Query(ctx, req.Query, nil)
	if err != nil {
		return schema.Invalid("query", "%v", err)
	}
	c.Set(fiber.HeaderContentType, "text/tab-separated-values")
	fctx := c.Context() // lives until the response is written; c does not
	if err := fctx.Response.Header.SetTrailer(ErrorTrailer); err != nil {
		rows.Close()
		return err
	}
	fctx.SetBodyStreamWriter(fasthttp.StreamWriter(func(w *bufio.Writer) {
		defer rows.Close()
		if err := WriteTSV(w, rows, req.Header); err != nil {
			w.Flush()
			fctx.Response.Header.Set(ErrorTrailer, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}))
	return nil
}

// WriteTSV writes rows as ClickHouse TabSeparated text.
func WriteTSV(w *bufio.Writer, rows schema.Rows, header bool) error {
	cols := rows.Columns()
	vals := make([]string, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if header && len(cols) > 0 {
		for i, col := range cols {
			vals[i] = col.Name
		}
		if err := writeTSVRow(w, vals); err != nil {
			return err
		}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := writeTSVRow(w, vals); err != nil {
			return fmt.Errorf("writing the result: %w", err) // the client went away
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return w.Flush()
}

func writeTSVRow(w *bufio.Writer, vals []string) error {
	for i, v := range vals {
		if i > 0 {
			w.WriteByte('\t')
		}
		w.WriteString(schema.EscapeTSV(v))
	}
	return w.WriteByte('\n') // bufio errors are sticky: this reports any of them
}

func (a *API) importLogs(c *fiber.Ctx) error {
	var req schema.LogImport
	if err := decode(c, &req); err != nil {
		return err
	}
	res, err := a.d.Devices.Import(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// MigrateRequest applies migrations.
type MigrateRequest struct {
	RetentionDays int `json:"retention_days"`
}

func (a *API) migrate(c *fiber.Ctx) error {
	var req MigrateRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if a.d.Migrate == nil {
		return errors.New("migrate is not wired")
	}
	res, err := a.d.Migrate(c, req.RetentionDays)
	if err != nil {
		return err
	}
	return c.JSON(res)
}
