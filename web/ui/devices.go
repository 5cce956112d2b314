package ui

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

type devicesData struct {
	Devices []schema.DeviceStatus
	LogDir  string
	Edit    *schema.DeviceStatus // the device being edited
}

func (u *UI) devices(c *fiber.Ctx) error {
	return u.showDevices(c, u.newPage(c, "Devices"))
}

func (u *UI) loadDevices(c *fiber.Ctx, pg *page) (devicesData, error) {
	devs, err := u.d.Devices.ListDevices(c.UserContext())
	if err != nil {
		return devicesData{}, err
	}
	d := devicesData{Devices: devs, LogDir: u.cfg.LogDir}
	name := c.Query("edit")
	if v, ok := pg.Form["original"]; ok {
		name = v
	}
	for i := range devs {
		if devs[i].Name == name && name != "" {
			d.Edit = &devs[i]
		}
	}
	return d, nil
}

func (u *UI) showDevices(c *fiber.Ctx, pg *page) error {
	pg.Nav = "devices"
	d, err := u.loadDevices(c, pg)
	if err != nil {
		return err
	}
	pg.Data = d
	return u.render(c, "devices", pg)
}

// devicesStatus is the polled device table.
func (u *UI) devicesStatus(c *fiber.Ctx) error {
	pg := u.newPage(c, "Devices")
	d, err := u.loadDevices(c, pg)
	if err != nil {
		return err
	}
	pg.Data = d
	return u.renderFragment(c, "devices", "device-table", pg)
}

// deviceSave adds a device, or changes one (field "original" names it; a
// device keeps its name).
func (u *UI) deviceSave(c *fiber.Ctx) error {
	pg := u.newPage(c, "Devices")
	d := schema.DeviceAdd{Name: form(c, pg, "name"), Path: form(c, pg, "path"), Timezone: form(c, pg, "timezone"),
		Senders: splitList(form(c, pg, "senders"))}
	orig := form(c, pg, "original")
	if orig != "" && d.Name != orig {
		pg.Errors["name"] = "a device cannot be renamed: remove it and add one under the new name"
	}
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showDevices)
	}
	ctx, act := c.UserContext(), principal(c).Actor()
	if orig == "" {
		if err := u.d.Devices.AddDevice(ctx, act, d, false); err != nil {
			return formFailed(c, pg, deviceErr(err), "path", u.showDevices)
		}
		return u.done(c, "/devices", "Device "+d.Name+" added; its file is followed from now on.")
	}
	if err := u.d.Devices.ChangeDevice(ctx, act, d, false); err != nil {
		field := "path"
		if errors.Is(err, schema.ErrNotFound) {
			field = ""
		}
		return formFailed(c, pg, err, field, u.showDevices)
	}
	return u.done(c, "/devices", "Device "+d.Name+" changed.")
}

// splitList splits a comma- or space-separated list.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// deviceErr puts a refused name on the name field.
func deviceErr(err error) error {
	if errors.Is(err, schema.ErrExists) {
		return schema.Invalid("name", "%v", err)
	}
	return err
}

func (u *UI) deviceRemove(c *fiber.Ctx) error {
	pg := u.newPage(c, "Devices")
	name := form(c, pg, "name")
	if err := u.d.Devices.RemoveDevice(c.UserContext(), principal(c).Actor(), name); err != nil {
		return formFailed(c, pg, err, "", u.showDevices)
	}
	return u.done(c, "/devices", "Device "+name+" removed; its stored logs stay until retention.")
}

type rejectedLine struct {
	TS             time.Time
	Device, Reason string
	Detail, File   string
	Offset         uint64
	Line           string
}

type rejectedData struct {
	Lines   []rejectedLine
	Device  string
	Reason  string
	Devices []string
}

// rejected shows the newest lines the parser could not read.
func (u *UI) rejected(c *fiber.Ctx) error {
	pg := u.newPage(c, "Rejected lines")
	pg.Nav = "devices"
	d := rejectedData{Device: strings.TrimSpace(c.Query("device")), Reason: strings.TrimSpace(c.Query("reason"))}
	d.Devices, _ = u.deviceNames(c.UserContext())
	w, p := []string{"1"}, schema.Params{}
	if d.Device != "" {
		w, p["device"] = append(w, "device = {device:String}"), d.Device
	}
	if d.Reason != "" {
		w, p["reason"] = append(w, "reason = {reason:String}"), d.Reason
	}
	err := schema.QueryEach(c.UserContext(), u.d.Store, `SELECT ts, device, reason, detail, file, offset, substring(line, 1, 2000)
FROM rejected_lines WHERE `+strings.Join(w, " AND ")+` ORDER BY ts DESC LIMIT 200`, p, func(r schema.Rows) error {
		var l rejectedLine
		err := r.Scan(&l.TS, &l.Device, &l.Reason, &l.Detail, &l.File, &l.Offset, &l.Line)
		d.Lines = append(d.Lines, l)
		return err
	})
	if err != nil {
		return err
	}
	pg.Data = d
	return u.render(c, "rejected", pg)
}
