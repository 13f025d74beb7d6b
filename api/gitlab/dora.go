package gitlab

import (
	"net/http"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// doraRoutes serves GitLab's DORA metrics API (ee/lib/api/dora/metrics.rb).
func (h *Handler) doraRoutes(rt *api.Router) {
	rt.Handle("GET", "/projects/:id/dora/metrics", h.projectDORA)
	rt.Handle("GET", "/groups/:id/dora/metrics", h.groupDORA)
}

// doraMaxDays is GitLab's bound on a DORA range (Value Stream Analytics' MAX_RANGE_DAYS).
const doraMaxDays = 180

// DORAMetric is one interval's figure: the interval's first day (null for interval all) and
// its value (null where there is nothing to measure).
type DORAMetric struct {
	Date  *string  `json:"date"`
	Value *float64 `json:"value"`
}

func (h *Handler) projectDORA(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.dora(w, r, func(q forge.DORAQuery) ([]forge.DORAValue, error) {
		return h.forge.Delivery.ProjectDORA(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), q)
	})
}

func (h *Handler) groupDORA(w http.ResponseWriter, r *http.Request, p api.Params) error {
	return h.dora(w, r, func(q forge.DORAQuery) ([]forge.DORAValue, error) {
		return h.forge.Delivery.GroupDORA(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), q)
	})
}

// dora reads the query as Grape declares it (metric required, dates typed), computes it, and
// answers the figures or GitLab's error: Grape's {"error"} for the parameters it checks itself,
// the service's {"message"} for values it refuses.
func (h *Handler) dora(w http.ResponseWriter, r *http.Request,
	figures func(forge.DORAQuery) ([]forge.DORAValue, error)) error {
	q, err := doraQuery(r)
	if err != nil {
		return err
	}
	vals, err := figures(q)
	if err != nil {
		return err
	}
	out := make([]DORAMetric, len(vals))
	for i, v := range vals {
		out[i].Value = v.Value
		if !v.Date.IsZero() {
			d := v.Date.Format("2006-01-02")
			out[i].Date = &d
		}
	}
	return api.JSON(w, r, http.StatusOK, out)
}

// doraQuery reads the parameters of a DORA request; Grape reports every refused one at once.
func doraQuery(r *http.Request) (forge.DORAQuery, error) {
	in, err := api.ReadInput(r)
	if err != nil {
		return forge.DORAQuery{}, err
	}
	q := forge.DORAQuery{MaxDays: doraMaxDays}
	var refused, params []string
	metric, ok := in.String("metric")
	if !ok {
		refused, params = append(refused, "metric is missing"), append(params, "metric")
	}
	q.Metric = metric
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"start_date", &q.Start}, {"end_date", &q.End}} {
		s, _ := in.String(d.name)
		if *d.dst, ok = doraDate(s); !ok {
			refused, params = append(refused, d.name+" is invalid"), append(params, d.name)
		}
	}
	if len(refused) > 0 {
		return forge.DORAQuery{}, &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: params,
			Message: strings.Join(refused, ", ")}
	}
	q.Interval, _ = in.String("interval")
	q.EnvironmentTiers, _ = in.Strings("environment_tiers")
	return q, nil
}

// doraDate reads a date parameter: an ISO 8601 date, or any time the forgiving parser reads
// (its date as written, in its own zone, as Ruby's Date.parse takes it). Blank is not given.
func doraDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	t, err := forge.ParseDateTime(s)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
}
