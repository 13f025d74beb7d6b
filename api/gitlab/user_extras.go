package gitlab

import (
	"html"
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// Email is a secondary email as GitLab renders it.
type Email struct {
	ID          int64  `json:"id"`
	Email       string `json:"email"`
	ConfirmedAt *Time  `json:"confirmed_at"`
}

// UserStatus is a user's status as GitLab renders it; a user without one has nulls.
type UserStatus struct {
	Emoji         *string `json:"emoji"`
	Availability  *string `json:"availability"`
	Message       *string `json:"message"`
	MessageHTML   *string `json:"message_html"`
	ClearStatusAt *Time   `json:"clear_status_at"`
}

// CustomAttribute is a key and value an administrator keeps.
type CustomAttribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func (h *Handler) userExtraRoutes(rt *api.Router) {
	for _, base := range []string{"/user", "/users/:id"} {
		rt.Handle("GET", base+"/emails", h.listEmails)
		rt.Handle("POST", base+"/emails", h.addEmail)
		rt.Handle("GET", base+"/emails/:email_id", h.getEmail)
		rt.Handle("DELETE", base+"/emails/:email_id", h.deleteEmail)
		rt.Handle("GET", base+"/status", h.getStatus)
	}
	rt.Handle("PUT", "/user/status", h.setStatus)
	rt.Handle("PATCH", "/user/status", h.setStatus)
	rt.Handle("DELETE", "/users/:id/identities/:provider", h.deleteIdentity)
	for _, kind := range []struct{ plural, kind string }{{"users", "user"}, {"groups", "group"},
		{"projects", "project"}} {
		h.customAttributeRoutes(rt, kind.plural, kind.kind)
	}
}

func emailOf(e forge.Email) Email {
	return Email{ID: e.ID, Email: e.Email, ConfirmedAt: timePtr(e.ConfirmedAt)}
}

func (h *Handler) listEmails(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	list, total, err := h.forge.Accounts.ListEmails(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), pg)
	if err != nil {
		return err
	}
	out := make([]Email, len(list))
	for i, e := range list {
		out[i] = emailOf(e)
	}
	return h.list(w, r, pg, total, out)
}

func emailID(p api.Params) (int64, error) {
	id, ok := parseID(p.Get("email_id"))
	if !ok {
		return 0, forge.NotFound(forge.ResourceEmail)
	}
	return id, nil
}

func (h *Handler) getEmail(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := emailID(p)
	if err != nil {
		return err
	}
	e, err := h.forge.Accounts.GetEmail(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, emailOf(e))
}

func (h *Handler) addEmail(w http.ResponseWriter, r *http.Request, p api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	if err := require(in, "email"); err != nil {
		return err
	}
	email, _ := in.String("email")
	e, err := h.forge.Accounts.AddEmail(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), email)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusCreated, emailOf(e))
}

func (h *Handler) deleteEmail(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, err := emailID(p)
	if err != nil {
		return err
	}
	if err := h.forge.Accounts.DeleteEmail(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")), id); err != nil {
		return err
	}
	return api.NoContent(w)
}

func userStatus(st forge.UserStatus) UserStatus {
	var out UserStatus
	if st.Emoji == "" && st.Message == "" && st.Availability == "not_set" {
		return out
	}
	emoji, msg, avail, rendered := st.Emoji, st.Message, st.Availability, html.EscapeString(st.Message)
	out.Emoji, out.Message, out.Availability, out.MessageHTML = &emoji, &msg, &avail, &rendered
	out.ClearStatusAt = timePtr(st.ClearStatusAt)
	return out
}

func (h *Handler) getStatus(w http.ResponseWriter, r *http.Request, p api.Params) error {
	st, err := h.forge.Accounts.StatusOf(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, userStatus(st))
}

func (h *Handler) setStatus(w http.ResponseWriter, r *http.Request, _ api.Params) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	si := forge.UserStatusInput{Emoji: in.StringPtr("emoji"), Message: in.StringPtr("message"),
		Availability: in.StringPtr("availability")}
	si.ClearAfter, _ = in.String("clear_status_after")
	st, err := h.forge.Accounts.SetStatus(r.Context(), api.Actor(r), si)
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, userStatus(st))
}

func (h *Handler) deleteIdentity(w http.ResponseWriter, r *http.Request, p api.Params) error {
	id, ok := parseID(p.Get("id"))
	if !ok {
		return forge.NotFound(forge.ResourceUser)
	}
	if err := h.forge.Accounts.DeleteIdentity(r.Context(), api.Actor(r), id, p.Get("provider")); err != nil {
		return err
	}
	return api.NoContent(w)
}

// customAttributeRoutes serves the custom attributes of users, groups or projects.
func (h *Handler) customAttributeRoutes(rt *api.Router, plural, kind string) {
	base := "/" + plural + "/:id/custom_attributes"
	rt.Handle("GET", base, func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		list, err := h.forge.Accounts.CustomAttributes(r.Context(), api.Actor(r), kind, forge.ParseRef(p.Get("id")))
		if err != nil {
			return err
		}
		out := make([]CustomAttribute, len(list))
		for i, c := range list {
			out[i] = CustomAttribute(c)
		}
		return api.JSON(w, r, http.StatusOK, out)
	})
	rt.Handle("GET", base+"/:key", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		c, err := h.forge.Accounts.CustomAttribute(r.Context(), api.Actor(r), kind,
			forge.ParseRef(p.Get("id")), p.Get("key"))
		if err != nil {
			return err
		}
		return api.JSON(w, r, http.StatusOK, CustomAttribute(c))
	})
	rt.Handle("PUT", base+"/:key", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		in, err := api.ReadInput(r)
		if err != nil {
			return err
		}
		if err := require(in, "value"); err != nil {
			return err
		}
		value, _ := in.String("value")
		c, err := h.forge.Accounts.SetCustomAttribute(r.Context(), api.Actor(r), kind,
			forge.ParseRef(p.Get("id")), p.Get("key"), value)
		if err != nil {
			return err
		}
		return api.JSON(w, r, http.StatusOK, CustomAttribute(c))
	})
	rt.Handle("DELETE", base+"/:key", func(w http.ResponseWriter, r *http.Request, p api.Params) error {
		if err := h.forge.Accounts.DeleteCustomAttribute(r.Context(), api.Actor(r), kind,
			forge.ParseRef(p.Get("id")), p.Get("key")); err != nil {
			return err
		}
		return api.NoContent(w)
	})
}
