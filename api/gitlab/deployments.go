package gitlab

import (
	"net/http"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

func (h *Handler) deploymentRoutes(rt *api.Router) {
	const deps = "/projects/:id/deployments"
	rt.Handle("GET", deps, signedIn(h.listDeployments))
	rt.Handle("POST", deps, signedIn(h.createDeployment))
	rt.Handle("GET", deps+"/:deployment_id", signedIn(h.getDeployment))
	rt.Handle("PUT", deps+"/:deployment_id", signedIn(h.updateDeployment))
	rt.Handle("DELETE", deps+"/:deployment_id", signedIn(h.deleteDeployment))
	rt.Handle("GET", deps+"/:deployment_id/log", signedIn(h.deploymentLog))
}

// Deployment is a deployment as GitLab renders it; cairn's deployments have no CI job, so
// deployable is null.
type Deployment struct {
	ID          int64            `json:"id"`
	IID         int64            `json:"iid"`
	Ref         string           `json:"ref"`
	SHA         string           `json:"sha"`
	CreatedAt   Time             `json:"created_at"`
	UpdatedAt   Time             `json:"updated_at"`
	Status      string           `json:"status"`
	User        BasicUser        `json:"user"`
	Environment EnvironmentBasic `json:"environment"`
	Deployable  any              `json:"deployable"`
}

func (h *Handler) deployment(d forge.Deployment) Deployment {
	return Deployment{
		ID:          d.ID,
		IID:         d.IID,
		Ref:         d.Ref,
		SHA:         d.SHA,
		CreatedAt:   Time(d.CreatedAt),
		UpdatedAt:   Time(d.UpdatedAt),
		Status:      d.Status,
		User:        h.basicUser(d.User),
		Environment: environmentBasic(d.Environment),
	}
}

// deploymentID reads the :deployment_id segment: the deployment's global id.
func deploymentID(p api.Params) (int64, error) {
	id, ok := parseID(p.Get("deployment_id"))
	if !ok {
		return 0, forge.NotFound("")
	}
	return id, nil
}

func (h *Handler) listDeployments(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	desc, err := sortDesc(r, false)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.DeploymentListOptions{Environment: q.Get("environment"), Status: q.Get("status"),
		OrderBy: q.Get("order_by"), Desc: desc}
	for _, t := range []struct {
		name string
		dst  **time.Time
	}{{"updated_after", &o.UpdatedAfter}, {"updated_before", &o.UpdatedBefore},
		{"finished_after", &o.FinishedAfter}, {"finished_before", &o.FinishedBefore}} {
		if *t.dst, err = queryTime(r, t.name); err != nil {
			return err
		}
	}
	list, total, err := h.forge.Delivery.ListDeployments(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	out := make([]Deployment, len(list))
	for i, d := range list {
		out[i] = h.deployment(d)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getDeployment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := deploymentID(p)
	if err != nil {
		return err
	}
	d, err := h.forge.Delivery.GetDeployment(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.deployment(d))
}

func (h *Handler) createDeployment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "environment", "ref"); err != nil {
		return err
	}
	di := forge.DeploymentInput{SHA: in.StringPtr("sha"), Status: in.StringPtr("status")}
	di.Environment, _ = in.String("environment")
	di.Ref, _ = in.String("ref")
	if di.Tag, err = in.BoolPtr("tag"); err != nil {
		return err
	}
	d, err := h.forge.Delivery.CreateDeployment(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), di)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.deployment(d))
}

func (h *Handler) updateDeployment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := deploymentID(p)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "status"); err != nil {
		return err
	}
	status, _ := in.String("status")
	d, err := h.forge.Delivery.UpdateDeploymentStatus(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		id, status)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.deployment(d))
}

func (h *Handler) deleteDeployment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := deploymentID(p)
	if err != nil {
		return err
	}
	if err := h.forge.Delivery.DeleteDeployment(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		id); err != nil {
		return err
	}
	return api.NoContent(w)
}

// deploymentLog answers the output of the server's deploy command, as plain text; a
// deployment without a command has an empty log.
func (h *Handler) deploymentLog(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := deploymentID(p)
	if err != nil {
		return err
	}
	l, err := h.forge.Delivery.GetDeploymentLog(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Log-Truncated", map[bool]string{true: "true", false: "false"}[l.Truncated])
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(l.Text))
	}
	return nil
}
