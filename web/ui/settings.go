package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

// settingGroup is a titled set of settings on the settings page.
type settingGroup struct {
	Title    string
	Case     string // detection case whose sentence heads the group
	Sentence string
	Defs     []schema.SettingDef
}

// settingGroups are the settings page's sections; system.enabled and
// smtp.* live on the system page.
var settingGroups = []struct {
	title, kase string
	prefixes    []string
}{
	{"Port scan", schema.CasePortscan, []string{"portscan."}},
	{"Host sweep", schema.CaseSweep, []string{"sweep."}},
	{"Vulnerability attacks", schema.CaseVuln, []string{"vuln."}},
	{"Blocking", "", []string{"detect.", "release.", "our."}},
	{"External Dynamic Lists", "", []string{"edl."}},
	{"Retention and devices", "", []string{"retention.", "device."}},
}

// describe says in plain language what each case will do.
func describe(v schema.Values) map[string]string {
	verb := func(modeKey string) string {
		if v.Mode(modeKey) == schema.ModeMonitor {
			return "Record, without blocking (monitor mode),"
		}
		return "Block"
	}
	out := map[string]string{}
	if m := v.Int(schema.PortscanMinutes); m == 0 {
		out[schema.CasePortscan] = "Port scans are not detected (portscan.minutes is 0)."
	} else {
		out[schema.CasePortscan] = fmt.Sprintf("%s a source that reaches more than %d ports on one host within %s.",
			verb(schema.PortscanMode), v.Int(schema.PortscanPorts), minutes(m))
	}
	if m := v.Int(schema.SweepMinutes); m == 0 {
		out[schema.CaseSweep] = "Host sweeps are not detected (sweep.minutes is 0)."
	} else {
		out[schema.CaseSweep] = fmt.Sprintf("%s a source that reaches more than %d hosts on one port within %s.",
			verb(schema.SweepMode), v.Int(schema.SweepHosts), minutes(m))
	}
	sev := map[int]string{1: "critical", 2: "critical or high"}[v.Int(schema.VulnLevel)]
	if sev == "" {
		out[schema.CaseVuln] = "Vulnerability attacks are not detected (vuln.level is 0)."
	} else {
		out[schema.CaseVuln] = fmt.Sprintf("%s a source as soon as the firewall logs a %s threat from it (subtypes: %s).",
			verb(schema.VulnMode), sev, strings.Join(v.List(schema.VulnSubtypes), ", "))
	}
	return out
}

func minutes(m int) string {
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

type settingsData struct {
	Groups   []settingGroup
	Values   map[string]string // current values for display (secrets as "(set)")
	Backtest *schema.Backtest
	Days     string
}

func (u *UI) settings(c *fiber.Ctx) error {
	return u.showSettings(c, u.newPage(c, "Detection settings"))
}

func (u *UI) showSettings(c *fiber.Ctx, pg *page) error {
	pg.Nav = "settings"
	cur := u.d.Detect.Settings().Values()
	shown := cur
	if next, err := cur.With(overrides(pg.Form, cur)); err == nil {
		shown = next // sentences follow the values being edited
	}
	d, _ := pg.Data.(settingsData)
	d.Values = cur.Map()
	if d.Days == "" {
		d.Days = "7"
	}
	sentences := describe(shown)
	for _, g := range settingGroups {
		sg := settingGroup{Title: g.title, Case: g.kase, Sentence: sentences[g.kase]}
		for _, def := range schema.SettingDefs {
			for _, p := range g.prefixes {
				if strings.HasPrefix(def.Key, p) {
					sg.Defs = append(sg.Defs, def)
				}
			}
		}
		d.Groups = append(d.Groups, sg)
	}
	pg.Data = d
	return u.render(c, "settings", pg)
}

// overrides returns the submitted settings that differ from the current
// values (secrets only when something was typed).
func overrides(formVals map[string]string, cur schema.Values) map[string]string {
	out := map[string]string{}
	shown := cur.Map()
	for _, def := range schema.SettingDefs {
		v, ok := formVals[def.Key]
		if !ok {
			continue
		}
		if def.Kind == schema.KindSecret || def.Kind == schema.KindDigest {
			if v != "" {
				out[def.Key] = v
			}
			continue
		}
		if v != shown[def.Key] {
			out[def.Key] = v
		}
	}
	return out
}

// readSettings reads every setting field of the form.
func readSettings(c *fiber.Ctx, pg *page) {
	for _, def := range schema.SettingDefs {
		if c.Request().PostArgs().Has(def.Key) || formHas(c, def.Key) {
			form(c, pg, def.Key)
		}
	}
}

func formHas(c *fiber.Ctx, key string) bool {
	mf, err := c.MultipartForm()
	if err != nil || mf == nil {
		return false
	}
	_, ok := mf.Value[key]
	return ok
}

func (u *UI) settingsSave(c *fiber.Ctx) error {
	pg := u.newPage(c, "Detection settings")
	readSettings(c, pg)
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showSettings)
	}
	ch := overrides(pg.Form, u.d.Detect.Settings().Values())
	if len(ch) == 0 {
		return u.done(c, "/settings", "Nothing changed.")
	}
	changed, err := u.d.Detect.SetSettings(c.UserContext(), principal(c).Actor(), ch)
	if err != nil {
		return formFailed(c, pg, err, "", u.showSettings)
	}
	return u.done(c, "/settings", "Saved: "+strings.Join(changed, ", ")+". The next run re-evaluates the lookback window.")
}

// settingsDescribe returns the sentences for values being typed (JSON), so
// the page can update them before saving.
func (u *UI) settingsDescribe(c *fiber.Ctx) error {
	cur := u.d.Detect.Settings().Values()
	vals := map[string]string{}
	for _, def := range schema.SettingDefs {
		if def.Kind == schema.KindSecret || def.Kind == schema.KindDigest {
			continue
		}
		if v := c.Query(def.Key); v != "" && len(v) <= maxField {
			vals[def.Key] = v
		}
	}
	errs := map[string]string{}
	next, err := cur.With(overrides(vals, cur))
	if err != nil {
		pg := &page{Errors: errs}
		if !applyError(pg, err, "") {
			return err
		}
		next = cur
	}
	c.Set("Cache-Control", "no-store")
	return c.JSON(fiber.Map{"sentences": describe(next), "errors": errs})
}

// backtest shows which addresses the values in the form would have listed.
func (u *UI) backtest(c *fiber.Ctx) error {
	pg := u.newPage(c, "Detection settings")
	readSettings(c, pg)
	days := form(c, pg, "days")
	d := settingsData{Days: days}
	n := atoiOr(days, 0)
	if n < 1 || n > 30 {
		pg.Errors["days"] = "must be a whole number of days from 1 to 30"
	}
	if len(pg.Errors) > 0 {
		pg.Data = d
		return formFailed(c, pg, nil, "", u.showSettings)
	}
	cur := u.d.Detect.Settings().Values()
	ov := overrides(pg.Form, cur)
	for _, def := range schema.SettingDefs { // secrets play no part in detection
		if def.Kind == schema.KindSecret || def.Kind == schema.KindDigest {
			delete(ov, def.Key)
		}
	}
	bt, err := u.d.Detect.Backtest(c.UserContext(), time.Duration(n)*24*time.Hour, ov)
	if err != nil {
		pg.Data = d
		return formFailed(c, pg, err, "", u.showSettings)
	}
	d.Backtest = &bt
	pg.Data = d
	return u.showSettings(c, pg)
}
