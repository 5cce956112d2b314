package ui

import (
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

type allowlistData struct {
	Entries    []schema.AllowEntry
	Suppressed []schema.Detection // recent detections the never-block list kept out
}

func (u *UI) allowlist(c *fiber.Ctx) error {
	return u.showAllowlist(c, u.newPage(c, "Allowlist"))
}

func (u *UI) showAllowlist(c *fiber.Ctx, pg *page) error {
	pg.Nav = "allowlist"
	es, err := u.d.Detect.ListAllowlist(c.UserContext())
	if err != nil {
		return err
	}
	sup, err := u.d.Detect.ListDetections(c.UserContext(), schema.DetectionFilter{Actions: []string{schema.ActionSuppressed},
		Since: u.now().Add(-7 * 24 * time.Hour), Limit: 20})
	if err != nil {
		return err
	}
	pg.Data = allowlistData{Entries: es, Suppressed: sup}
	return u.render(c, "allowlist", pg)
}

func (u *UI) allowlistAdd(c *fiber.Ctx) error {
	pg := u.newPage(c, "Allowlist")
	req := schema.AllowAdd{CIDR: form(c, pg, "cidr"), Note: form(c, pg, "note")}
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showAllowlist)
	}
	e, err := u.d.Detect.AddAllowlist(c.UserContext(), principal(c).Actor(), req)
	if err != nil {
		return formFailed(c, pg, err, "cidr", u.showAllowlist)
	}
	return u.done(c, "/allowlist", e.CIDR+" will never be blocked.")
}

func (u *UI) allowlistRemove(c *fiber.Ctx) error {
	pg := u.newPage(c, "Allowlist")
	cidr := form(c, pg, "cidr")
	if err := u.d.Detect.RemoveAllowlist(c.UserContext(), principal(c).Actor(), cidr); err != nil {
		return formFailed(c, pg, err, "", u.showAllowlist)
	}
	return u.done(c, "/allowlist", cidr+" was removed from the allowlist; detections may block it again.")
}

var detectionActions = []string{schema.ActionBlocked, schema.ActionRefreshed, schema.ActionMonitored, schema.ActionSuppressed,
	schema.ActionHeld, schema.ActionApproved, schema.ActionDiscarded}

type detectionsData struct {
	Items   []schema.Detection
	Held    []schema.BlacklistEntry // waiting for approval now
	Action  string
	Actions []string
	Range   string
	Presets []struct{ Key, Label string }
	IP      string
}

func (u *UI) detections(c *fiber.Ctx) error {
	return u.showDetections(c, u.newPage(c, "Detections"))
}

func (u *UI) showDetections(c *fiber.Ctx, pg *page) error {
	pg.Nav = "detections"
	d := detectionsData{Action: c.Query("action"), Actions: detectionActions, Range: c.Query("range", "24h"),
		Presets: rangePresets[:6], IP: strings.TrimSpace(c.Query("ip"))}
	f := schema.DetectionFilter{Limit: 500}
	if d.Action != "" {
		if indexOf(detectionActions, d.Action) < 0 {
			pg.Errors["action"] = "must be one of " + strings.Join(detectionActions, ", ")
			d.Action = ""
		} else {
			f.Actions = []string{d.Action}
		}
	}
	dur, ok := presetDuration(d.Range)
	if !ok || d.Range == "custom" {
		pg.Errors["range"] = "must be one of 15m, 1h, 6h, 24h, 7d, 30d"
		d.Range, dur = "24h", 24*time.Hour
	}
	f.Since = u.now().Add(-dur)
	if d.IP != "" {
		a, err := netip.ParseAddr(d.IP)
		if err != nil {
			pg.Errors["ip"] = "must be an IP address"
		} else {
			f.IP = a.Unmap()
		}
	}
	var err error
	if d.Items, err = u.d.Detect.ListDetections(c.UserContext(), f); err != nil {
		return err
	}
	if d.Held, err = u.d.Detect.ListBlacklist(c.UserContext(), schema.StateHeld); err != nil {
		return err
	}
	if len(pg.Errors) > 0 && c.Method() == fiber.MethodGet {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	pg.Data = d
	return u.render(c, "detections", pg)
}

// detectionsDecide approves or discards held entries (one, or all).
func (u *UI) detectionsDecide(c *fiber.Ctx) error {
	pg := u.newPage(c, "Detections")
	ip, decision := form(c, pg, "ip"), form(c, pg, "decision")
	if decision != "approve" && decision != "discard" {
		pg.Error = "Choose approve or discard."
		return formFailed(c, pg, nil, "", u.showDetections)
	}
	if ip == "all" {
		ip = ""
	}
	es, err := u.d.Detect.DecideHeld(c.UserContext(), principal(c).Actor(), ip, decision == "approve")
	if err != nil {
		return formFailed(c, pg, err, "", u.showDetections)
	}
	msg := "Discarded"
	if decision == "approve" {
		msg = "Approved (now in the EDL)"
	}
	return u.done(c, "/detections?action=held", msg+": "+fmtNum(len(es))+" held address(es).")
}
