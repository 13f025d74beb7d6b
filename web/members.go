package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/api"
	"github.com/cairn-forge/cairn/forge"
)

// membersScope is what a members page lists the members of: a project or a group.
type membersScope struct {
	Src forge.MemberSource
	// URL is the members page.
	URL string
	// Name is the project's or group's full name.
	Name string
	// page wraps the page's data: a project's tabs, or a group's breadcrumbs.
	page func(title string, data any) *Page
}

// membersHandler handles a members page or form of a scope already resolved for the actor.
type membersHandler func(w http.ResponseWriter, r *http.Request, sc *membersScope) error

// lookupMembers routes ".../-/project_members/..." and ".../-/group_members/...": the list and
// the form that adds, "/:user_id" that changes a member's level, "/:user_id/delete" that
// removes them.
func (h *Handler) lookupMembers(method func(g, p handlerFunc) handlerFunc, tail string,
	in func(membersHandler) handlerFunc) handlerFunc {
	if tail == "" {
		return method(in(h.members), in(h.addMember))
	}
	num, action, _ := strings.Cut(tail, "/")
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	switch action {
	case "":
		return method(nil, in(h.changeMember(id)))
	case "delete":
		return method(nil, in(h.removeMember(id)))
	}
	return nil
}

// projectMembersScope is the members page of project pn.
func (h *Handler) projectMembersScope(r *http.Request, pn *projectNav) *membersScope {
	return &membersScope{Src: forge.MemberSource{Kind: "project", Ref: strconv.FormatInt(pn.View.ID, 10)},
		URL: pn.URL + "/-/project_members", Name: pn.View.FullName(),
		page: func(title string, data any) *Page { return h.projectPage(r, pn, "members", title, data) }}
}

// accessLevel is a level a membership grants, with GitLab's name for it.
type accessLevel struct {
	Value int
	Name  string
}

var accessLevelNames = map[int]string{
	forge.Minimal:    "Minimal access",
	forge.Guest:      "Guest",
	forge.Reporter:   "Reporter",
	forge.Developer:  "Developer",
	forge.Maintainer: "Maintainer",
	forge.Owner:      "Owner",
}

type memberRow struct {
	forge.Member
	Level     string
	Direct    bool
	CanChange bool
	CanRemove bool
}

type membersData struct {
	URL     string
	Name    string
	Members []memberRow
	// Levels are those the reader may grant; empty when they may not add members.
	Levels []accessLevel
	Pager  pager
	// The add form's values and refusal.
	Username string
	Level    int
	Expires  string
	Error    string
}

// members lists the members of a project or group, direct and inherited, with the forms to
// add, change and remove those the reader may.
func (h *Handler) members(w http.ResponseWriter, r *http.Request, sc *membersScope) error {
	return h.renderMembers(w, r, sc, http.StatusOK, &membersData{Level: forge.Developer})
}

func (h *Handler) renderMembers(w http.ResponseWriter, r *http.Request, sc *membersScope, status int,
	d *membersData) error {
	a := api.Actor(r)
	can, err := h.forge.Projects.MemberAbilities(r.Context(), a, sc.Src)
	if err != nil {
		return err
	}
	pg := pageOf(r, 50)
	list, total, err := h.forge.Projects.ListMembers(r.Context(), a, sc.Src, true, "", pg)
	if err != nil {
		return err
	}
	d.URL, d.Name, d.Pager = sc.URL, sc.Name, newPager(r, pg, total)
	for _, l := range can.Levels() {
		d.Levels = append(d.Levels, accessLevel{Value: l, Name: accessLevelNames[l]})
	}
	for _, m := range list {
		d.Members = append(d.Members,
			memberRow{Member: m, Level: accessLevelNames[m.AccessLevel], Direct: can.Direct(m),
				CanChange: can.CanChange(m), CanRemove: can.CanRemove(m)})
	}
	return h.render(w, r, status, "members", sc.page("Members", d))
}

// memberFormError shows a refused member form on the members page; ok is false for errors
// that are not the form's.
func (h *Handler) memberFormError(w http.ResponseWriter, r *http.Request, sc *membersScope, d *membersData,
	err error) (bool, error) {
	msg, status, ok := formError(err)
	if !ok && forge.ErrorCode(err) == forge.ENotFound {
		msg, status, ok = "There is no such user, or no such member.", http.StatusNotFound, true
	}
	if !ok {
		return false, err
	}
	d.Error = msg
	return true, h.renderMembers(w, r, sc, status, d)
}

// addMember adds a user, by username, at the level chosen, until an optional date.
func (h *Handler) addMember(w http.ResponseWriter, r *http.Request, sc *membersScope) error {
	a, err := userForm(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	d := &membersData{Username: strings.TrimPrefix(strings.TrimSpace(f.Get("username")), "@"),
		Expires: f.Get("expires_at")}
	d.Level, _ = strconv.Atoi(f.Get("access_level"))
	in := forge.MemberInput{UserRef: forge.Path(d.Username), AccessLevel: d.Level}
	if d.Username == "" {
		return h.renderMembers(w, r, sc, http.StatusBadRequest, withError(d, "Name the user to add."))
	}
	if d.Expires != "" {
		t, err := time.Parse(time.DateOnly, d.Expires)
		if err != nil {
			return h.renderMembers(w, r, sc, http.StatusBadRequest,
				withError(d, "The expiry is not a date (YYYY-MM-DD)."))
		}
		in.ExpiresAt = &t
	}
	m, err := h.forge.Projects.AddOrUpdateMember(r.Context(), a, sc.Src, in, true)
	if handled, err := h.memberFormError(w, r, sc, d, err); handled || err != nil {
		return err
	}
	h.setFlash(w, m.User.Username+" was added as "+accessLevelNames[m.AccessLevel]+".")
	return redirect(w, r, sc.URL)
}

func withError(d *membersData, msg string) *membersData {
	d.Error = msg
	return d
}

// changeMember sets a direct member's access level.
func (h *Handler) changeMember(userID int64) membersHandler {
	return func(w http.ResponseWriter, r *http.Request, sc *membersScope) error {
		a, err := userForm(r)
		if err != nil {
			return err
		}
		level, _ := strconv.Atoi(r.PostForm.Get("access_level"))
		m, err := h.forge.Projects.AddOrUpdateMember(r.Context(), a, sc.Src,
			forge.MemberInput{UserRef: forge.ID(userID), AccessLevel: level}, false)
		if handled, err := h.memberFormError(w, r, sc, &membersData{Level: forge.Developer}, err); handled ||
			err != nil {
			return err
		}
		h.setFlash(w, m.User.Username+" is now "+accessLevelNames[m.AccessLevel]+".")
		return redirect(w, r, sc.URL)
	}
}

// removeMember removes a direct member; members may leave.
func (h *Handler) removeMember(userID int64) membersHandler {
	return func(w http.ResponseWriter, r *http.Request, sc *membersScope) error {
		a, err := userForm(r)
		if err != nil {
			return err
		}
		err = h.forge.Projects.RemoveMember(r.Context(), a, sc.Src, userID)
		if handled, err := h.memberFormError(w, r, sc, &membersData{Level: forge.Developer}, err); handled ||
			err != nil {
			return err
		}
		if userID == a.User.ID {
			h.setFlash(w, "You left "+sc.Name+".")
			return redirect(w, r, "/dashboard/projects")
		}
		h.setFlash(w, "The member was removed.")
		return redirect(w, r, sc.URL)
	}
}
