package gitlab

import (
	"net/http"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// AccessLevelRule is one entry of a protected branch's access lists.
type AccessLevelRule struct {
	ID                     int64  `json:"id"`
	AccessLevel            int    `json:"access_level"`
	AccessLevelDescription string `json:"access_level_description"`
	UserID                 *int64 `json:"user_id"`
	GroupID                *int64 `json:"group_id"`
	DeployKeyID            *int64 `json:"deploy_key_id"`
}

// ProtectedBranch is a protection rule as GitLab renders it.
type ProtectedBranch struct {
	ID                        int64             `json:"id"`
	Name                      string            `json:"name"`
	PushAccessLevels          []AccessLevelRule `json:"push_access_levels"`
	MergeAccessLevels         []AccessLevelRule `json:"merge_access_levels"`
	UnprotectAccessLevels     []AccessLevelRule `json:"unprotect_access_levels"`
	AllowForcePush            bool              `json:"allow_force_push"`
	CodeOwnerApprovalRequired bool              `json:"code_owner_approval_required"`
	Inherited                 bool              `json:"inherited"`
}

func accessDescription(level int) string {
	switch level {
	case forge.NoOne:
		return "No one"
	case forge.Developer:
		return "Developers + Maintainers"
	case forge.Maintainer:
		return "Maintainers"
	case forge.AdminAccess:
		return "Admins"
	}
	return "Maintainers"
}

func protectedBranch(b forge.ProtectedBranch) ProtectedBranch {
	rule := func(level int) []AccessLevelRule {
		return []AccessLevelRule{{ID: b.ID, AccessLevel: level, AccessLevelDescription: accessDescription(level)}}
	}
	return ProtectedBranch{
		ID:                    b.ID,
		Name:                  b.Name,
		PushAccessLevels:      rule(b.PushAccessLevel),
		MergeAccessLevels:     rule(b.MergeAccessLevel),
		UnprotectAccessLevels: rule(b.UnprotectAccessLevel),
		AllowForcePush:        b.AllowForcePush,
	}
}

func (h *Handler) protectedBranchRoutes(rt *api.Router) {
	rt.Handle("GET", "/projects/:id/protected_branches", h.listProtectedBranches)
	rt.Handle("POST", "/projects/:id/protected_branches",
		func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.saveProtectedBranch(w, r, p, true)
		})
	rt.Handle("GET", "/projects/:id/protected_branches/:name", h.getProtectedBranch)
	rt.Handle("PATCH", "/projects/:id/protected_branches/:name",
		func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			return h.saveProtectedBranch(w, r, p, false)
		})
	rt.Handle("DELETE", "/projects/:id/protected_branches/:name",
		func(w http.ResponseWriter, r *http.Request, p api.Params) error {
			if err := h.forge.Repositories.UnprotectBranch(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
				p.Get("name")); err != nil {
				return err
			}
			return api.NoContent(w)
		})
}

func (h *Handler) listProtectedBranches(w http.ResponseWriter, r *http.Request, p api.Params) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	rules, err := h.forge.Repositories.ListProtectedBranches(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")))
	if err != nil {
		return err
	}
	out := []ProtectedBranch{}
	search := r.URL.Query().Get("search")
	for _, b := range rules {
		if search == "" || containsFold(b.Name, search) {
			out = append(out, protectedBranch(b))
		}
	}
	total := len(out)
	lo := min((pg.Page-1)*pg.PerPage, total)
	return h.list(w, r, pg, total, out[lo:min(lo+pg.PerPage, total)])
}

func (h *Handler) getProtectedBranch(w http.ResponseWriter, r *http.Request, p api.Params) error {
	b, err := h.forge.Repositories.GetProtectedBranch(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		p.Get("name"))
	if err != nil {
		return err
	}
	return api.JSON(w, r, http.StatusOK, protectedBranch(b))
}

func (h *Handler) saveProtectedBranch(w http.ResponseWriter, r *http.Request, p api.Params, create bool) error {
	in, err := api.ReadInput(r)
	if err != nil {
		return err
	}
	pi := forge.ProtectInput{Name: p.Get("name")}
	if create {
		pi.Name, _ = in.String("name")
	}
	for _, f := range []struct {
		key string
		dst **int
	}{{"push_access_level", &pi.PushAccessLevel}, {"merge_access_level", &pi.MergeAccessLevel},
		{"unprotect_access_level", &pi.UnprotectAccessLevel}} {
		if *f.dst, err = in.IntPtr(f.key); err != nil {
			return err
		}
	}
	if pi.AllowForcePush, err = in.BoolPtr("allow_force_push"); err != nil {
		return err
	}
	b, err := h.forge.Repositories.SaveProtectedBranch(r.Context(), api.Actor(r), forge.ParseRef(p.Get("id")),
		pi, create)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if create {
		status = http.StatusCreated
	}
	return api.JSON(w, r, status, protectedBranch(b))
}
