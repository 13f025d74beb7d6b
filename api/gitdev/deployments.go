package gitdev

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Deployment is a deployment as the .git API shows it. Its variables' values are not shown:
// build variables often hold secrets, and the deploy command is where they are needed.
type Deployment struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// URL is the deployment's own address in this API.
	URL           string     `json:"url"`
	RepositoryID  string     `json:"repository_id"`
	Environment   string     `json:"environment"`
	Ref           string     `json:"ref"`
	SHA           string     `json:"sha"`
	Tag           bool       `json:"tag"`
	VariableNames []string   `json:"variable_names"`
	Creator       *UserRef   `json:"creator"`
	CreatedAt     timestamp  `json:"created_at"`
	UpdatedAt     timestamp  `json:"updated_at"`
	QueuedAt      *timestamp `json:"queued_at"`
	StartedAt     *timestamp `json:"started_at"`
	FinishedAt    *timestamp `json:"finished_at"`
}

// UserRef names a user.
type UserRef struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

func (h *Handler) deployment(r *http.Request, d forge.Deployment) Deployment {
	id := EncodeID(prefixDeploy, d.ID)
	names := make([]string, 0, len(d.Variables))
	for k := range d.Variables {
		names = append(names, k)
	}
	sort.Strings(names)
	out := Deployment{
		ID:            id,
		Status:        d.Status,
		URL:           h.core.URL(api.Prefix(r) + "/deployments/" + id),
		RepositoryID:  EncodeID(prefixRepo, d.ProjectID),
		Environment:   d.Environment.Name,
		Ref:           d.Ref,
		SHA:           d.SHA,
		Tag:           d.Tag,
		VariableNames: names,
		CreatedAt:     timestamp(d.CreatedAt),
		UpdatedAt:     timestamp(d.UpdatedAt),
		QueuedAt:      timePtr(d.QueuedAt),
		StartedAt:     timePtr(d.StartedAt),
		FinishedAt:    timePtr(d.FinishedAt),
	}
	if d.User.ID != 0 {
		out.Creator = &UserRef{ID: EncodeID(prefixUser, d.User.ID), Username: d.User.Username, Name: d.User.Name}
	}
	return out
}

// environments are the document's deployment targets.
var environments = map[string]bool{"preview": true, "staging": true, "production": true}

// defaultEnvironment is where a deployment that names no environment goes: the document
// marks environment optional without a default, and GitHub's deployments API, whose
// conventions cairn follows where a seed is silent, defaults to production.
const defaultEnvironment = "production"

const environmentChoices = "environment must be one of preview, staging, production"

// createDeployment is POST /v1/repositories/{repo_id}/deployments. It answers at once with
// the deployment queued; a deploy command configured on the server for the environment
// moves it on, and without one it waits in the queue.
func (h *Handler) createDeployment(w http.ResponseWriter, r *http.Request, ref string) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	in, err := deploymentInput(body)
	if err != nil {
		return err
	}
	d, err := h.forge.Delivery.CreateDeployment(r.Context(), api.Actor(r), forge.ParseRef(ref), in)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, h.deployment(r, d))
}

// deploymentInput reads ref, environment and variables, refusing values of the wrong type.
func deploymentInput(body map[string]any) (forge.DeploymentInput, error) {
	queued := forge.DeploymentQueued
	in := forge.DeploymentInput{Environment: defaultEnvironment, Status: &queued}
	switch v := body["ref"].(type) {
	case nil:
		return in, invalidParam("ref", "ref is required")
	case string:
		if in.Ref = strings.TrimSpace(v); in.Ref == "" {
			return in, invalidParam("ref", "ref is required")
		}
	default:
		return in, invalidParam("ref", "ref must be a string")
	}
	switch v := body["environment"].(type) {
	case nil:
	case string:
		if !environments[v] {
			return in, invalidParam("environment", environmentChoices)
		}
		in.Environment = v
	default:
		return in, invalidParam("environment", environmentChoices)
	}
	switch v := body["variables"].(type) {
	case nil:
	case map[string]any:
		in.Variables = make(map[string]string, len(v))
		for k, val := range v {
			s, ok := val.(string)
			if !ok {
				return in, invalidParam("variables", "variables."+k+" must be a string")
			}
			in.Variables[k] = s
		}
	default:
		return in, invalidParam("variables", "variables must be an object of string values")
	}
	return in, nil
}

// readObject reads a request body as one JSON object, or as a form (ref=main&
// variables[KEY]=value), which is what curl -d sends without a content type. An empty body
// is an empty object; anything else is a 400.
func readObject(r *http.Request) (map[string]any, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, invalidParam("body", "The request body cannot be read")
	}
	data = bytes.TrimSpace(data)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" || ct == "" && len(data) > 0 && data[0] != '{' {
		return formObject(data)
	}
	out := map[string]any{}
	if len(data) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil || dec.More() || out == nil {
		return nil, invalidParam("body", "The request body is not a valid JSON object")
	}
	if err := api.CheckJSONText(data); err != nil {
		return nil, err
	}
	return out, nil
}

// formObject reads a form as an object: key=value gives a string, variables[KEY]=value an
// entry of the object variables.
func formObject(data []byte) (map[string]any, error) {
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, invalidParam("body", "The request body is not a valid form")
	}
	if err := api.CheckFormText(vals); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range vals {
		if outer, inner, ok := strings.Cut(k, "["); ok && strings.HasSuffix(inner, "]") {
			m, isMap := out[outer].(map[string]any)
			if !isMap {
				if _, taken := out[outer]; taken {
					return nil, invalidParam(outer, outer+" is given both as a value and as an object")
				}
				m = map[string]any{}
				out[outer] = m
			}
			m[strings.TrimSuffix(inner, "]")] = v[0]
			continue
		}
		if _, taken := out[k]; taken {
			return nil, invalidParam(k, k+" is given both as a value and as an object")
		}
		out[k] = v[0]
	}
	return out, nil
}

// listDeployments is GET /v1/repositories/{repo_id}/deployments: newest first, optionally
// of one environment or status.
func (h *Handler) listDeployments(w http.ResponseWriter, r *http.Request, ref string) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := forge.DeploymentListOptions{OrderBy: "id", Desc: true, Status: q.Get("status")}
	if env := q.Get("environment"); env != "" {
		if !environments[env] {
			return invalidParam("environment", environmentChoices)
		}
		o.Environment = env
	}
	list, total, err := h.forge.Delivery.ListDeployments(r.Context(), api.Actor(r), forge.ParseRef(ref), o, pg)
	if err != nil {
		return err
	}
	out := make([]Deployment, len(list))
	for i, d := range list {
		out[i] = h.deployment(r, d)
	}
	return writeList(h, w, r, pg, total, out)
}

// getDeployment is GET /v1/deployments/{id}.
func (h *Handler) getDeployment(w http.ResponseWriter, r *http.Request, p api.Params) error {
	n, ok := DecodeID(prefixDeploy, p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceDeployment)
	}
	d, err := h.forge.Delivery.DeploymentByID(r.Context(), api.Actor(r), n)
	if forge.ErrorCode(err) == forge.ENotFound {
		return forge.NotFound(forge.ResourceDeployment)
	}
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.deployment(r, d))
}
