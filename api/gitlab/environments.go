package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// deliveryRoutes serves GitLab's environments, deployments and releases APIs.
func (h *Handler) deliveryRoutes(rt *api.Router) {
	h.environmentRoutes(rt)
	h.deploymentRoutes(rt)
	h.releaseRoutes(rt)
}

// signedIn answers anonymous callers with 401: GitLab's environments and deployments APIs
// authenticate every request, even on public projects.
func signedIn(fn api.HandlerFunc) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		if !api.Actor(r).SignedIn() {
			return forge.Unauthorized("")
		}
		return fn(w, r, p)
	}
}

func (h *Handler) environmentRoutes(rt *api.Router) {
	const envs = "/projects/:id/environments"
	rt.Handle("GET", envs, signedIn(h.listEnvironments))
	rt.Handle("POST", envs, signedIn(h.createEnvironment))
	rt.Handle("GET", envs+"/:environment_id", signedIn(h.getEnvironment))
	rt.Handle("PUT", envs+"/:environment_id", signedIn(h.updateEnvironment))
	rt.Handle("DELETE", envs+"/:environment_id", signedIn(h.deleteEnvironment))
	rt.Handle("POST", envs+"/:environment_id/stop", signedIn(h.stopEnvironment))
}

// EnvironmentBasic is the environment embedded in a deployment.
type EnvironmentBasic struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Slug        string  `json:"slug"`
	ExternalURL *string `json:"external_url"`
	CreatedAt   Time    `json:"created_at"`
	UpdatedAt   Time    `json:"updated_at"`
}

// Environment is an environment as GitLab renders it; GET of one environment adds its last
// successful deployment.
type Environment struct {
	EnvironmentBasic
	Description         *string     `json:"description"`
	Tier                string      `json:"tier"`
	State               string      `json:"state"`
	AutoStopAt          *Time       `json:"auto_stop_at"`
	AutoStopSetting     string      `json:"auto_stop_setting"`
	KubernetesNamespace *string     `json:"kubernetes_namespace"`
	FluxResourcePath    *string     `json:"flux_resource_path"`
	ClusterAgent        any         `json:"cluster_agent"`
	LastDeployment      *Deployment `json:"last_deployment,omitempty"`
}

func environmentBasic(e forge.Environment) EnvironmentBasic {
	return EnvironmentBasic{
		ID:          e.ID,
		Name:        e.Name,
		Slug:        e.Slug,
		ExternalURL: optional(e.ExternalURL),
		CreatedAt:   Time(e.CreatedAt),
		UpdatedAt:   Time(e.UpdatedAt),
	}
}

func environment(e forge.Environment) Environment {
	return Environment{EnvironmentBasic: environmentBasic(e), Description: optional(e.Description), Tier: e.Tier,
		State: e.State, AutoStopSetting: "always"}
}

// environmentID reads the :environment_id segment; anything but an id names nothing.
func environmentID(p api.Params) (int64, error) {
	id, ok := parseID(p.Get("environment_id"))
	if !ok {
		return 0, forge.NotFound("")
	}
	return id, nil
}

// environmentInput reads the environment fields GitLab's create and update take.
func environmentInput(in *api.Input) forge.EnvironmentInput {
	return forge.EnvironmentInput{Name: in.StringPtr("name"), Tier: in.StringPtr("tier"),
		ExternalURL: in.StringPtr("external_url"), Description: in.StringPtr("description")}
}

func (h *Handler) listEnvironments(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.EnvironmentListOptions{Name: q.Get("name"), Search: q.Get("search"), State: q.Get("states")}
	list, total, err := h.forge.Delivery.ListEnvironments(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), o, pg)
	if err != nil {
		return err
	}
	out := make([]Environment, len(list))
	for i, e := range list {
		out[i] = environment(e)
	}
	return h.list(w, r, pg, total, out)
}

func (h *Handler) getEnvironment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := environmentID(p)
	if err != nil {
		return err
	}
	a := api.Actor(r)
	e, err := h.forge.Delivery.GetEnvironment(r.Context(), a, forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	out := environment(e)
	d, ok, err := h.forge.Delivery.LastDeployment(r.Context(), a, forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	if ok {
		dep := h.deployment(d)
		out.LastDeployment = &dep
	}
	return api.JSON(w, r, http.StatusOK, out)
}

func (h *Handler) createEnvironment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "name"); err != nil {
		return err
	}
	if in.Has("slug") {
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{"slug"},
			Message: "slug is automatically generated and cannot be changed"}
	}
	e, err := h.forge.Delivery.CreateEnvironment(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		environmentInput(in))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, environment(e))
}

func (h *Handler) updateEnvironment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := environmentID(p)
	if err != nil {
		return err
	}
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if in.Has("slug") {
		return &forge.Error{Code: forge.EInvalid, Reason: forge.ReasonInvalidParam, Params: []string{"slug"},
			Message: "slug is automatically generated and cannot be changed"}
	}
	e, err := h.forge.Delivery.UpdateEnvironment(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id,
		environmentInput(in))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, environment(e))
}

func (h *Handler) stopEnvironment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := environmentID(p)
	if err != nil {
		return err
	}
	e, err := h.forge.Delivery.StopEnvironment(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, environment(e))
}

func (h *Handler) deleteEnvironment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := environmentID(p)
	if err != nil {
		return err
	}
	if err := h.forge.Delivery.DeleteEnvironment(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		id); err != nil {
		return err
	}
	return api.NoContent(w)
}
