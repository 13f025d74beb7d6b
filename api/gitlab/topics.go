package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Topic is a topic as /topics renders it.
type Topic struct {
	ID                 int64   `json:"id"`
	Name               string  `json:"name"`
	Title              string  `json:"title"`
	Description        *string `json:"description"`
	TotalProjectsCount int     `json:"total_projects_count"`
	OrganizationID     int64   `json:"organization_id"`
	AvatarURL          *string `json:"avatar_url"`
}

func (h *Handler) topic(t forge.Topic) Topic {
	out := Topic{ID: t.ID, Name: t.Name, Title: t.Title, TotalProjectsCount: t.ProjectsCount, OrganizationID: 1}
	if t.Description != "" {
		d := t.Description
		out.Description = &d
	}
	return out
}

func (h *Handler) topicRoutes(rt *api.Router) {
	rt.Handle("GET", "/topics", h.listTopics)
	rt.Handle("POST", "/topics", h.createTopic)
	rt.Handle("GET", "/topics/:id", h.getTopic)
	rt.Handle("PUT", "/topics/:id", h.updateTopic)
	rt.Handle("DELETE", "/topics/:id", h.deleteTopic)
}

func (h *Handler) listTopics(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	without, err := queryBool(r, "without_projects")
	if err != nil {
		return err
	}
	list, total, err := h.forge.Projects.ListTopics(r.Context(), api.Actor(r), r.URL.Query().Get("search"), without, pg)
	if err != nil {
		return err
	}
	out := make([]Topic, len(list))
	for i, t := range list {
		out[i] = h.topic(t)
	}
	return h.list(w, r, pg, total, out)
}

func topicID(p api.Params) (int64, error) {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return 0, forge.NotFound("")
	}
	return id, nil
}

func (h *Handler) getTopic(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := topicID(p)
	if err != nil {
		return err
	}
	t, err := h.forge.Projects.GetTopic(r.Context(), api.Actor(r), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, h.topic(t))
}

func (h *Handler) createTopic(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	return h.saveTopic(w, r, 0)
}

func (h *Handler) updateTopic(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := topicID(p)
	if err != nil {
		return err
	}
	return h.saveTopic(w, r, id)
}

func (h *Handler) saveTopic(w http.ResponseWriter, r *http.Request, id int64) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if id == 0 {
		if err := require(in, "name", "title"); err != nil {
			return err
		}
	}
	t, err := h.forge.Projects.SaveTopic(r.Context(), api.Actor(r), id,
		forge.TopicInput{Name: in.StringPtr("name"), Title: in.StringPtr("title"),
			Description: in.StringPtr("description")})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	return api.JSON(w, r, status, h.topic(t))
}

func (h *Handler) deleteTopic(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := topicID(p)
	if err != nil {
		return err
	}
	if err := h.forge.Projects.DeleteTopic(r.Context(), api.Actor(r), id); err != nil {
		return err
	}
	return api.NoContent(w)
}
