package api

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

// param returns a path parameter, URL-decoded.
func param(c *fiber.Ctx, name string) string {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return c.Params(name)
	}
	return v
}

func created(c *fiber.Ctx, v any) error { return c.Status(fiber.StatusCreated).JSON(v) }

func (a *API) listBlacklist(c *fiber.Ctx) error {
	var states []string
	if s := c.Query("state"); s != "" {
		states = strings.Split(s, ",")
	}
	es, err := a.d.Detect.ListBlacklist(c.UserContext(), states...)
	if err != nil {
		return err
	}
	return c.JSON(nonNil(es))
}

func (a *API) getBlacklist(c *fiber.Ctx) error {
	e, err := a.d.Detect.GetBlacklist(c.UserContext(), param(c, "ip"))
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (a *API) addBlacklist(c *fiber.Ctx) error {
	var req schema.BlacklistAdd
	if err := decode(c, &req); err != nil {
		return err
	}
	e, err := a.d.Detect.AddBlacklist(c.UserContext(), actor(c), req)
	if err != nil {
		return err
	}
	return created(c, e)
}

func (a *API) removeBlacklist(c *fiber.Ctx) error {
	if err := a.d.Detect.RemoveBlacklist(c.UserContext(), actor(c), param(c, "ip"), c.Query("why")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) expireBlacklist(c *fiber.Ctx) error {
	es, err := a.d.Detect.ExpireBlacklist(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"released": nonNil(es)})
}

// maxImport bounds an imported list.
const maxImport = 64 << 20

func importBody(c *fiber.Ctx) (*bytes.Reader, error) {
	if len(c.Body()) > maxImport {
		return nil, fiber.NewError(fiber.StatusRequestEntityTooLarge, "import over 64 MiB")
	}
	return bytes.NewReader(c.Body()), nil
}

func (a *API) importBlacklist(c *fiber.Ctx) error {
	r, err := importBody(c)
	if err != nil {
		return err
	}
	rep, err := a.d.Detect.ImportBlacklist(c.UserContext(), actor(c), r, c.Query("reason"))
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

func (a *API) listAllowlist(c *fiber.Ctx) error {
	es, err := a.d.Detect.ListAllowlist(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(es))
}

func (a *API) addAllowlist(c *fiber.Ctx) error {
	var req schema.AllowAdd
	if err := decode(c, &req); err != nil {
		return err
	}
	e, err := a.d.Detect.AddAllowlist(c.UserContext(), actor(c), req)
	if err != nil {
		return err
	}
	return created(c, e)
}

func (a *API) removeAllowlist(c *fiber.Ctx) error {
	cidr := c.Query("cidr")
	if cidr == "" {
		return schema.Invalid("cidr", "give the entry as ?cidr=ADDRESS-OR-CIDR")
	}
	if err := a.d.Detect.RemoveAllowlist(c.UserContext(), actor(c), cidr); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) importAllowlist(c *fiber.Ctx) error {
	r, err := importBody(c)
	if err != nil {
		return err
	}
	rep, err := a.d.Detect.ImportAllowlist(c.UserContext(), actor(c), r)
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

func (a *API) protected(c *fiber.Ctx) error {
	why, err := a.d.Detect.Protected(c.UserContext(), param(c, "ip"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"protected": why != "", "why": why})
}

func (a *API) listFeeds(c *fiber.Ctx) error {
	fs, err := a.d.Detect.ListFeeds(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(fs))
}

func (a *API) addFeed(c *fiber.Ctx) error {
	var req schema.FeedAdd
	if err := decode(c, &req); err != nil {
		return err
	}
	f, err := a.d.Detect.AddFeed(c.UserContext(), actor(c), req, principal(c).Trusted())
	if err != nil {
		return err
	}
	return created(c, f)
}

func (a *API) feedEntries(c *fiber.Ctx) error {
	es, err := a.d.Detect.FeedEntries(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(es)
}

func (a *API) removeFeed(c *fiber.Ctx) error {
	if err := a.d.Detect.RemoveFeed(c.UserContext(), actor(c), param(c, "name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) refreshFeeds(c *fiber.Ctx) error {
	if err := a.d.Detect.RefreshFeeds(c.UserContext(), true); err != nil {
		return err
	}
	return a.listFeeds(c)
}

// Setting is one setting as the API shows it.
type Setting struct {
	schema.SettingDef
	Value string `json:"value"`
}

func (a *API) listSettings(c *fiber.Ctx) error {
	shown := a.d.Detect.Settings().Values().Map()
	out := make([]Setting, len(schema.SettingDefs))
	for i, d := range schema.SettingDefs {
		out[i] = Setting{SettingDef: d, Value: shown[d.Key]}
	}
	return c.JSON(out)
}

// setSettings takes {"key": "value", …}; values may be JSON strings,
// numbers or booleans.
func (a *API) setSettings(c *fiber.Ctx) error {
	var raw map[string]any
	if err := decode(c, &raw); err != nil {
		return err
	}
	changes := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			changes[k] = x
		case float64:
			changes[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			changes[k] = strconv.FormatBool(x)
		default:
			return schema.Invalid(k, "must be a string, number or boolean")
		}
	}
	changed, err := a.d.Detect.SetSettings(c.UserContext(), actor(c), changes)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"changed": nonNil(changed)})
}

func (a *API) runDetect(c *fiber.Ctx) error {
	res, err := a.d.Detect.Run(c.UserContext(), "manual")
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// BacktestRequest asks for a backtest.
type BacktestRequest struct {
	Since string            `json:"since"` // a duration; days as "7d"
	Set   map[string]string `json:"set,omitempty"`
}

func (a *API) backtest(c *fiber.Ctx) error {
	var req BacktestRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	since, err := ParseSince("since", req.Since)
	if err != nil {
		return err
	}
	res, err := a.d.Detect.Backtest(c.UserContext(), since, req.Set)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// ParseSince parses a look-back duration such as 7d, 12h or 90m.
func ParseSince(field, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, schema.Invalid(field, "give a duration such as 7d, 24h or 30m")
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3660 {
			return 0, schema.Invalid(field, "must be a number of days from 1 to 3660, got %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, schema.Invalid(field, "must be a duration such as 7d, 24h or 30m, got %q", s)
	}
	return d, nil
}

func (a *API) listRuns(c *fiber.Ctx) error {
	rs, err := a.d.Detect.ListRuns(c.UserContext(), c.QueryInt("limit", 50))
	if err != nil {
		return err
	}
	return c.JSON(nonNil(rs))
}

func (a *API) listDetections(c *fiber.Ctx) error {
	var f schema.DetectionFilter
	if s := c.Query("since"); s != "" {
		d, err := ParseSince("since", s)
		if err != nil {
			return err
		}
		f.Since = time.Now().Add(-d)
	}
	if s := c.Query("action"); s != "" {
		f.Actions = strings.Split(s, ",")
	}
	if s := c.Query("ip"); s != "" {
		ip, err := schema.ParseAddr("ip", s)
		if err != nil {
			return err
		}
		f.IP = ip
	}
	f.Limit = c.QueryInt("limit", 1000)
	ds, err := a.d.Detect.ListDetections(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(nonNil(ds))
}

// HeldDecision names one held address, or all of them.
type HeldDecision struct {
	IP  string `json:"ip,omitempty"`
	All bool   `json:"all,omitempty"`
}

func (a *API) decideHeld(approve bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req HeldDecision
		if err := decode(c, &req); err != nil {
			return err
		}
		if (req.IP == "") == !req.All {
			return schema.Invalid("ip", `give either "ip" or "all": true`)
		}
		es, err := a.d.Detect.DecideHeld(c.UserContext(), actor(c), req.IP, approve)
		if err != nil {
			return err
		}
		return c.JSON(nonNil(es))
	}
}

func (a *API) jobs(c *fiber.Ctx) error {
	if a.d.Jobs == nil {
		return c.JSON([]schema.JobStatus{})
	}
	return c.JSON(nonNil(a.d.Jobs.Status()))
}

func (a *API) listAudit(c *fiber.Ctx) error {
	var since time.Time
	if s := c.Query("since"); s != "" {
		d, err := ParseSince("since", s)
		if err != nil {
			return err
		}
		since = time.Now().Add(-d)
	}
	evs, err := a.d.Detect.ListAudit(c.UserContext(), since, c.QueryInt("limit", 1000))
	if err != nil {
		return err
	}
	return c.JSON(nonNil(evs))
}

func (a *API) listRecipients(c *fiber.Ctx) error {
	rs, err := a.d.Detect.ListRecipients(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(rs))
}

func (a *API) addRecipient(c *fiber.Ctx) error {
	var req struct {
		Email string `json:"email"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	e, err := a.d.Detect.AddRecipient(c.UserContext(), actor(c), req.Email)
	if err != nil {
		return err
	}
	return created(c, fiber.Map{"email": e})
}

func (a *API) removeRecipient(c *fiber.Ctx) error {
	if err := a.d.Detect.RemoveRecipient(c.UserContext(), actor(c), param(c, "email")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) listWebhooks(c *fiber.Ctx) error {
	ws, err := a.d.Detect.ListWebhooks(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(ws))
}

func (a *API) addWebhook(c *fiber.Ctx) error {
	var req schema.WebhookAdd
	if err := decode(c, &req); err != nil {
		return err
	}
	w, err := a.d.Detect.AddWebhook(c.UserContext(), actor(c), req)
	if err != nil {
		return err
	}
	return created(c, w)
}

func (a *API) removeWebhook(c *fiber.Ctx) error {
	if err := a.d.Detect.RemoveWebhook(c.UserContext(), actor(c), param(c, "name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *API) testEmail(c *fiber.Ctx) error {
	if err := a.d.Detect.TestEmail(c.UserContext()); err != nil {
		return schema.Invalid("smtp", "%v", err)
	}
	return c.JSON(fiber.Map{"sent": true})
}

func (a *API) edlLists(c *fiber.Ctx) error {
	a.d.EDL.Ensure(c.UserContext())
	return c.JSON(nonNil(a.d.EDL.Lists()))
}

func (a *API) edlClients(c *fiber.Ctx) error {
	cs, err := a.d.EDL.Clients(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(cs))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
