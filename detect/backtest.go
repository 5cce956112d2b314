package detect

import (
	"context"
	"slices"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// Backtest evaluates every case over the last `since` of stored logs with
// the current settings changed by overrides, and says which sources each
// case would list and why. It changes nothing.
func (s *Service) Backtest(ctx context.Context, since time.Duration, overrides map[string]string) (schema.Backtest, error) {
	if since <= 0 || since > 366*24*time.Hour {
		return schema.Backtest{}, schema.Invalid("since", "must be a duration from 1m to 366 days")
	}
	v, err := s.set.Values().With(overrides)
	if err != nil {
		return schema.Backtest{}, err
	}
	now := s.now().Truncate(time.Minute).Add(time.Minute)
	res := schema.Backtest{From: now.Add(-since), To: now, Settings: v.Map()}
	findings, err := s.evaluate(ctx, v, mergeSpans([]span{{res.From, res.To}}, 0, maxChunk))
	if err != nil {
		return res, err
	}
	pr, err := s.protection(ctx, v)
	if err != nil {
		return res, err
	}
	for _, f := range findings {
		if ok, _ := Routable(f.ip); !ok {
			continue
		}
		it := schema.BacktestItem{IP: f.ip.String(), Case: f.kase, Reason: f.reason, Evidence: f.ev, Summary: f.ev.Summary(), Verdict: schema.VerdictBlock}
		if why := pr.why(f.ip); why != "" {
			it.Verdict, it.Why = schema.VerdictSuppress, why
		} else if v.Mode(modeKey(f.kase)) == schema.ModeMonitor {
			it.Verdict = schema.VerdictMonitor
		}
		res.Items = append(res.Items, it)
	}
	slices.SortFunc(res.Items, func(a, b schema.BacktestItem) int {
		if a.Case != b.Case {
			return caseOrder(a.Case) - caseOrder(b.Case)
		}
		if a.IP < b.IP {
			return -1
		}
		return 1
	})
	return res, nil
}

func caseOrder(c string) int {
	return slices.Index([]string{schema.CasePortscan, schema.CaseSweep, schema.CaseVuln}, c)
}
